package authz

import "slices"

// Subject is the caller: who acts.
type Subject struct {
	UserID string
	Role   Role
	// Active is false for an offboarded user, who is denied everything.
	Active bool
	// IsManager says the user has at least one direct report. Only Capabilities reads
	// it; Check decides from Resource.TargetManagerID.
	IsManager bool
	// OwnedAppIDs are the apps the user owns. Optional: only Capabilities reads it;
	// Check decides from Resource.AppOwnerIDs.
	OwnedAppIDs []string
	// MintedBy is who minted the credential the subject called with (empty: the subject
	// themselves, the bootstrap key, an OIDC token). A credential minted by a request's
	// requester or target never decides a task of that request.
	MintedBy string
}

// Resource is what the subject acts on. An empty field means the action is not about a
// user (TargetUserID, TargetManagerID), not about an app (AppID, AppOwnerIDs) or that no
// policy assigned anyone (AssignedUserIDs).
type Resource struct {
	// TargetUserID is the user the action is about.
	TargetUserID string
	// TargetManagerID is the manager of the target user.
	TargetManagerID string
	// AppID is the app the action is about.
	AppID string
	// AppOwnerIDs are the owners of that app.
	AppOwnerIDs []string
	// AssignedUserIDs are the people a policy or a task assigned.
	AssignedUserIDs []string
}

// Decision is the answer to one question. Reason names the rule that allowed or denied,
// e.g. "admin: any" or "manager: only direct reports"; it is for logs and error details,
// not for branching on.
type Decision struct {
	Allowed bool
	Reason  string
}

func allow(reason string) Decision { return Decision{Allowed: true, Reason: reason} }
func deny(reason string) Decision  { return Decision{Reason: reason} }

// Check answers one cell of the permissions matrix: may s exercise capability c on r?
// The subject's designated column is tried first, then the Manager and App Owner columns,
// each of which holds only in its context (the target reports to s; s owns the app).
func Check(s Subject, c Capability, r Resource) Decision {
	if d, ok := precheck(s); !ok {
		return d
	}
	if !c.Valid() {
		return deny(reasonUnknownCapability)
	}
	rw := &matrix[c]
	for _, col := range columnsOf(s.Role) {
		if sc := rw[col]; reaches(sc, s.UserID, r) {
			return allow(allowReasons[col][sc])
		}
	}
	return deny(denyReasons[s.Role][c])
}

// precheck refuses the subjects that may do nothing: inactive, without an id, or with
// an unknown role.
func precheck(s Subject) (Decision, bool) {
	switch {
	case !s.Active:
		return deny(reasonInactive), false
	case s.UserID == "":
		return deny(reasonNoUserID), false
	case !s.Role.Valid():
		return deny(reasonUnknownRole), false
	}
	return Decision{}, true
}

// reaches reports whether a column's scope covers the resource for the user.
func reaches(sc scope, userID string, r Resource) bool {
	switch sc {
	case all:
		return true
	case self:
		return r.TargetUserID == "" || r.TargetUserID == userID
	case assigned:
		return slices.Contains(r.AssignedUserIDs, userID)
	case directReports:
		return r.TargetManagerID == userID
	case ownApps:
		return slices.Contains(r.AppOwnerIDs, userID)
	}
	return false
}

// SkipsManagerApproval reports whether the subject's requests skip manager approval
// steps (recorded as auto-approved): true for an active General Manager, the only user
// without a manager.
func SkipsManagerApproval(s Subject) bool {
	return s.Active && s.UserID != "" && s.Role == RoleGeneralManager
}
