package authz

// The Request rows of the API.

// RequestFacts are the facts about one request that decide who may see it.
type RequestFacts struct {
	RequesterID string
	// TargetUserID is the user the request is about; TargetManagerID is their manager.
	TargetUserID    string
	TargetManagerID string
	// AppOwnerIDs are the owners of the request's app.
	AppOwnerIDs []string
	// AssigneeIDs are the people assigned to any of the request's tasks.
	AssigneeIDs []string
}

// CanSubmitRequestFor implements "Submit: POST /v1/requests — anyone for self; a manager
// for direct reports; Admin, GM for anyone" (matrix: Submit Requests). targetUserID is
// the request's target (empty: the requester itself); targetManagerID is the target's
// manager. A General Manager's requests also skip manager approval: see
// SkipsManagerApproval.
func CanSubmitRequestFor(s Subject, targetUserID, targetManagerID string) Decision {
	return Check(s, SubmitRequests, Resource{TargetUserID: targetUserID, TargetManagerID: targetManagerID})
}

// CanViewRequest implements "Get: GET /v1/requests/{id} — requester, target user, their
// assignees, the target user's manager, the app's owners, Admin, GM". The request log
// (GET /v1/requests) applies it to each request, and so does the audit query for
// callers who are not Admin or GM ("events of requests they may see").
func CanViewRequest(s Subject, f RequestFacts) Decision {
	return adminsAnd(s, reasonNotVisible,
		also{s.UserID == f.RequesterID, reasonRequester},
		also{s.UserID == f.TargetUserID, reasonTargetUser},
		also{contains(f.AssigneeIDs, s.UserID), reasonAssignee},
		also{s.UserID == f.TargetManagerID, allowReasons[colManager][directReports]},
		also{contains(f.AppOwnerIDs, s.UserID), allowReasons[colAppOwner][ownApps]})
}

// CanCancelRequest implements "Cancel: POST /v1/requests/{id}:cancel — requester, Admin,
// GM".
func CanCancelRequest(s Subject, requesterID string) Decision {
	return adminsAnd(s, reasonNotRequester, also{s.UserID == requesterID, reasonRequester})
}

// CanSubmitAccessRequestFor implements "Submit — ... a manager for direct reports; an app
// owner for anyone on apps they own; Admin, GM for anyone" for the requests about a user's
// access to an app (GRANT_ACCESS, CHANGE_PERMISSION, REMOVE_ACCESS): what
// CanSubmitRequestFor allows, and an owner of the app for anyone (matrix: Manage App
// Access, own apps). The request still follows its policy, and its requester never
// reviews it.
func CanSubmitAccessRequestFor(s Subject, targetUserID, targetManagerID, appID string, appOwnerIDs []string) Decision {
	if d := CanSubmitRequestFor(s, targetUserID, targetManagerID); d.Allowed {
		return d
	}
	if d := Check(s, ManageAppAccess, Resource{AppID: appID, AppOwnerIDs: appOwnerIDs}); d.Allowed {
		return d
	}
	return CanSubmitRequestFor(s, targetUserID, targetManagerID)
}
