package domain

import "time"

// Role is a user's designated role.
type Role string

const (
	RoleUser           Role = "USER"
	RoleAdmin          Role = "ADMIN"
	RoleGeneralManager Role = "GENERAL_MANAGER"
)

// UserStatus: users are offboarded, never deleted.
type UserStatus string

const (
	UserActive     UserStatus = "ACTIVE"
	UserOffboarded UserStatus = "OFFBOARDED"
)

// User is a person in the directory.
type User struct {
	ID          string
	Email       string // stored lower-cased; unique
	DisplayName string
	Role        Role
	ManagerID   string // empty exactly for the General Manager (and the bootstrap admin before one exists)
	Status      UserStatus
	// Bootstrap marks the admin created from GRANTFLOW_BOOTSTRAP_ADMIN_KEY.
	Bootstrap bool
	// ExternalID is the provisioning client's identifier (SCIM externalId); "" if none.
	ExternalID string
	CreateTime time.Time
	UpdateTime time.Time
	Version    int64 // increments on every change; the etag
}

// Group is a named set of users.
type Group struct {
	ID          string
	Name        string
	Description string
	MemberIDs   []string
	CreateTime  time.Time
	UpdateTime  time.Time
	Version     int64
}

// AppStatus: apps are archived, never deleted.
type AppStatus string

const (
	AppActive   AppStatus = "ACTIVE"
	AppArchived AppStatus = "ARCHIVED"
)

// Permission is a permission level of an app.
type Permission struct {
	Name       string
	Privileged bool
}

// CustomRole is an app-specific role policies can assign steps to.
type CustomRole struct {
	Name    string
	UserIDs []string
}

// App is an application of the organization's stack.
type App struct {
	ID          string
	Name        string
	OwnerIDs    []string
	Permissions []Permission
	CustomRoles []CustomRole
	Status      AppStatus
	// RequestID is the ADD_APP request that added it (empty if registered directly).
	RequestID  string
	CreateTime time.Time
	UpdateTime time.Time
	Version    int64
}

// HasPermission reports whether name is one of the app's permission levels.
func (a App) HasPermission(name string) bool {
	for _, p := range a.Permissions {
		if p.Name == name {
			return true
		}
	}
	return false
}

// PrivilegedPermissions lists the names of the app's privileged permission levels.
func (a App) PrivilegedPermissions() []string {
	var out []string
	for _, p := range a.Permissions {
		if p.Privileged {
			out = append(out, p.Name)
		}
	}
	return out
}

// Access is one user holding one permission level of one app (at most one per user and app).
type Access struct {
	UserID     string
	AppID      string
	Permission string
	GrantTime  time.Time
	RequestID  string
	// ExpireTime (zero: never) is when the access expires (a grant with an accessDuration).
	ExpireTime time.Time
}

// APIKey is a credential of a user. Only the SHA-256 of the whole key is kept.
type APIKey struct {
	ID          string
	UserID      string
	DisplayName string
	Hash        []byte
	CreateTime  time.Time
	RevokeTime  time.Time // zero while valid
	// CreatedBy is the user who minted the key ("" for the bootstrap key and keys older
	// than this field). A key minted by a request's requester or target never decides a
	// task of that request (maker-checker through credentials).
	CreatedBy string
}

// Revoked reports whether the key has been revoked.
func (k APIKey) Revoked() bool { return !k.RevokeTime.IsZero() }

// Delegation records that ByUserID put UserID into an assignee set (Set: "app_owner:<app>",
// "custom_role:<app>:<role>", "group:<group>"), so that maker-checker holds through it:
// whom a requester or target put into an assignee set never decides their request.
type Delegation struct {
	Set      string
	UserID   string
	ByUserID string
}
