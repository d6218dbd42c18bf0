package authz

import "slices"

// Reasons of the API rules that are not cells of the matrix.
const (
	reasonRequester         = "requester: own request"
	reasonTargetUser        = "target user: a request about them"
	reasonAssignee          = "assignee: assigned to the task"
	reasonOwnTasks          = "user: own tasks"
	reasonOwnAccess         = "user: own accesses"
	reasonAdminOnly         = "only Admin and General Manager"
	reasonOwnRequest        = "nobody decides on a request they made or that is about them"
	reasonMintedByRequester = "a credential minted by the request's requester or target never decides its tasks"
	reasonNotVisible        = "not the requester, target user, an assignee, the target's manager, an app owner, Admin or GM"
	reasonTaskNotVisible    = "not an assignee, the requester, Admin or GM"
	reasonAccessNotVisible  = "not the holder, the holder's manager, an app owner, Admin or GM"
	reasonNotRequester      = "only the requester, Admin and General Manager"
	reasonOnlyOwnTasks      = "user: only own tasks"
)

// adminOrGM allows the Admin and the General Manager ("admin: any", "general manager:
// any") and says whether it did.
func adminOrGM(s Subject) (Decision, bool) {
	switch s.Role {
	case RoleAdmin:
		return allow(allowReasons[colAdmin][all]), true
	case RoleGeneralManager:
		return allow(allowReasons[colGeneralManager][all]), true
	}
	return Decision{}, false
}

// adminsOnly is the rule "Admin, GM" for an action the matrix has no row for.
func adminsOnly(s Subject) Decision { return adminsAnd(s, reasonAdminOnly) }

// also is one more who of a rule beside Admin and GM: whether s is it, and the reason.
type also struct {
	is     bool
	reason string
}

// adminsAnd is the rule "<others>, Admin, GM" for an action the matrix has no row for:
// an active subject is allowed as Admin or GM, else as the first of others they are (its
// reason); anyone else is denied with denied.
func adminsAnd(s Subject, denied string, others ...also) Decision {
	if d, ok := precheck(s); !ok {
		return d
	}
	if d, ok := adminOrGM(s); ok {
		return d
	}
	for _, o := range others {
		if o.is {
			return allow(o.reason)
		}
	}
	return deny(denied)
}

// contains reports whether id is non-empty and in ids.
func contains(ids []string, id string) bool {
	return id != "" && slices.Contains(ids, id)
}
