package authz

import "strings"

// scope is how far one column of the matrix reaches for one capability.
type scope uint8

const (
	none          scope = iota // ❌, or nothing beyond what the User column already gives
	self                       // only for the subject itself (the User's own requests)
	assigned                   // only when a policy assigned the subject
	directReports              // only when the resource's user reports to the subject
	ownApps                    // only when the subject owns the resource's app
	all                        // ✅ with no limit (the document's "any")
)

// qualifier is the suffix Capabilities writes for a scope.
var qualifier = [...]string{
	self:          "self",
	assigned:      "assigned",
	directReports: "direct_reports",
	ownApps:       "own_apps",
	all:           "any",
}

// column is a column of the matrix: a designated role or an inherited one.
type column uint8

const (
	colUser column = iota
	colManager
	colAppOwner
	colAdmin
	colGeneralManager
	numColumns
)

var columnNames = [numColumns]string{
	colUser:           "user",
	colManager:        "manager",
	colAppOwner:       "app owner",
	colAdmin:          "admin",
	colGeneralManager: "general manager",
}

// row is one capability across the five columns. The Manager and App Owner columns hold
// only what those roles add: a Manager or App Owner is a User too, so where the document
// marks them ✅ because every User has the right, they hold none here.
type row [numColumns]scope

// matrix is the permissions matrix of the roles document. Reading aid, per column:
// user, manager, app owner, admin, general manager. The comment above each row is the
// document's row. Submit Requests is the one row whose ✅ the document qualifies
// elsewhere: a User submits for itself, a Manager "on behalf of their reports" (the
// Manager definition), Admin and GM for anyone (the API's Submit row).
var matrix = [numCapabilities + 1]row{
	// ✅ | ✅ (on behalf of reports) | ✅ (as a User) | ✅ | ✅ (skip manager approval)
	SubmitRequests: {self, directReports, none, all, all},
	// ⚖ (unless assigned in policy) | ✅ (only for direct reports) | ✅ (only for own apps) | ✅ (any) | ✅ (any)
	ApproveRequests: {assigned, directReports, ownApps, all, all},
	// ❌ | ❌ | ❌ | ✅ | ✅
	OnboardUser: {none, none, none, all, all},
	// ❌ | ✅ (only direct reports) | ❌ | ✅ (any) | ✅ (any)
	OffboardUser: {none, directReports, none, all, all},
	// ❌ | ✅ (only direct reports) | ❌ | ✅ | ✅
	EditUser: {none, directReports, none, all, all},
	// ❌ | ❌ | ❌ | ✅ | ✅
	ManageUserGroups: {none, none, none, all, all},
	// ❌ | ❌ | ✅ (only own apps) | ✅ (any) | ✅ (any)
	EditApp: {none, none, ownApps, all, all},
	// ❌ | ✅ (only for direct reports) | ✅ (only own apps) | ✅ (any) | ✅ (any)
	ManageAppAccess: {none, directReports, ownApps, all, all},
	// ❌ | ❌ | ❌ | ✅ | ✅
	CreateAccessReviews: {none, none, none, all, all},
	// ❌ | ✅ (only for direct reports) | ✅ (only own apps) | ✅ (any) | ✅ (any)
	CompleteAccessReviews: {none, directReports, ownApps, all, all},
	// ✅ | ✅ | ✅ | ✅ | ✅
	UseBrowserExtension: {all, none, none, all, all},
	// ❌ | ❌ | ❌ | ✅ | ✅
	IntegrateHRISIdP: {none, none, none, all, all},
	// ❌ | ❌ | ✅ (only own apps) | ✅ | ✅
	SetUpAutoProvisioning: {none, none, ownApps, all, all},
	// ❌ | ❌ | ❌ | ✅ | ✅
	CreateCustomPolicies: {none, none, none, all, all},
	// ❌ | ❌ | ❌ | ✅ | ✅
	CreateCustomLayouts: {none, none, none, all, all},
	// ❌ | ❌ | ❌ | ✅ | ✅
	CreateAPIKeysAndWebhooks: {none, none, none, all, all},
}

// scoped reports whether any column limits the capability to a context, that is whether
// the capability depends on the resource at all.
func (r row) scoped() bool {
	for _, s := range r {
		if s != none && s != all {
			return true
		}
	}
	return false
}

// Reasons. A Decision names the rule that allowed or denied.
const (
	reasonInactive          = "inactive subject: denied everything"
	reasonNoUserID          = "invalid subject: no user id"
	reasonUnknownRole       = "unknown role"
	reasonUnknownCapability = "unknown capability"
)

// ruleReason names the rule of a column that reaches a scope, e.g. "manager: only
// direct reports".
func ruleReason(col column, s scope) string {
	name := columnNames[col]
	switch s {
	case self:
		return name + ": only for self"
	case assigned:
		return name + ": only when assigned in policy"
	case directReports:
		return name + ": only direct reports"
	case ownApps:
		return name + ": only own apps"
	case all:
		return name + ": any"
	}
	return name + ": not permitted"
}

// allowReasons[col][scope] and denyReasons[role][capability] are built once so that
// Check does not allocate.
var (
	allowReasons [numColumns][all + 1]string
	denyReasons  [RoleGeneralManager + 1][numCapabilities + 1]string
)

func init() {
	for col := range numColumns {
		for s := none; s <= all; s++ {
			allowReasons[col][s] = ruleReason(col, s)
		}
	}
	for role := RoleUser; role <= RoleGeneralManager; role++ {
		for c := SubmitRequests; c <= CreateAPIKeysAndWebhooks; c++ {
			denyReasons[role][c] = denyReason(role, matrix[c])
		}
	}
}

// denyReason lists the scoped rules a subject of the role could have used for the
// capability and whose context the resource did not match; with no such rule, it says
// that the role is not permitted at all.
func denyReason(role Role, r row) string {
	var rules []string
	for _, col := range columnsOf(role) {
		if s := r[col]; s != none && s != all {
			rules = append(rules, ruleReason(col, s))
		}
	}
	if len(rules) == 0 {
		return ruleReason(designatedColumn(role), none)
	}
	return strings.Join(rules, "; ")
}

// designatedColumn is the column of a designated role.
func designatedColumn(role Role) column {
	switch role {
	case RoleAdmin:
		return colAdmin
	case RoleGeneralManager:
		return colGeneralManager
	}
	return colUser
}

// columnsOf lists the columns that may apply to a subject of the role: its designated
// column, then the inherited ones, which hold only in their context.
func columnsOf(role Role) [3]column {
	return [3]column{designatedColumn(role), colManager, colAppOwner}
}
