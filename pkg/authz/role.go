package authz

import "strconv"

// Role is a user's designated role: exactly one per user. The zero value is not a role,
// so a subject whose role was never set is denied everything.
type Role int

// The designated roles, from the bottom of the hierarchy to the top.
const (
	RoleUser Role = iota + 1
	RoleAdmin
	RoleGeneralManager
)

var roleNames = [...]string{
	RoleUser:           "USER",
	RoleAdmin:          "ADMIN",
	RoleGeneralManager: "GENERAL_MANAGER",
}

// Valid reports whether r is one of the designated roles.
func (r Role) Valid() bool { return r >= RoleUser && r <= RoleGeneralManager }

// String returns the API name of the role: "USER", "ADMIN" or "GENERAL_MANAGER".
func (r Role) String() string {
	if !r.Valid() {
		return "ROLE(" + strconv.Itoa(int(r)) + ")"
	}
	return roleNames[r]
}

// ParseRole returns the role with the given API name ("USER", "ADMIN",
// "GENERAL_MANAGER").
func ParseRole(name string) (Role, bool) {
	for r := RoleUser; r <= RoleGeneralManager; r++ {
		if roleNames[r] == name {
			return r, true
		}
	}
	return 0, false
}
