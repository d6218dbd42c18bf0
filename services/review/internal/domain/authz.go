package domain

// Role is the caller's designated role, as the rules need it.
type Role int

const (
	RoleUser Role = iota
	RoleAdmin
	RoleGeneralManager
)

// Caller is who calls, for the rules below.
type Caller struct {
	UserID string
	Role   Role
}

// Governs reports whether the caller is Admin or GM: they create, launch, close, export,
// see everything and decide any item.
func (c Caller) Governs() bool { return c.Role == RoleAdmin || c.Role == RoleGeneralManager }

// Access is what a caller may do with a campaign, given whether they review any of its
// items.
type Access struct {
	// See: get the campaign and list its items (a reviewer: their own). Without it, the
	// campaign is NOT_FOUND to the caller.
	See bool
	// SeeAllItems: list every item, by any reviewer.
	SeeAllItems bool
	// Manage: launch, close, export.
	Manage bool
}

// CampaignAccess applies the matrix's two review rows: Create/launch/close/export: Admin,
// GM; complete (see, decide): the campaign's reviewers, Admin, GM.
func CampaignAccess(c Caller, isReviewer bool) Access {
	if c.Governs() {
		return Access{See: true, SeeAllItems: true, Manage: true}
	}
	return Access{See: isReviewer}
}

// MayDecide reports whether the caller may decide item: its reviewers, Admin, GM. Nobody
// decides a review of their own access, whatever their role.
func MayDecide(c Caller, item Item) bool {
	if item.UserID == c.UserID {
		return false
	}
	return c.Governs() || item.IsReviewer(c.UserID)
}
