package authz

// The Task rows of the API.

// CanDecideTask implements "Approve / decline: POST /v1/tasks/{id}:approve|:decline — an
// assignee of that review task; Admin, GM" and "Complete: POST /v1/tasks/{id}:complete —
// an assignee of that action or standalone task; Admin, GM" (matrix: Approve Requests,
// where being an assignee is "assigned in policy").
//
// Nobody approves their own request: requesterID and targetUserID are the task's
// request's requester and target user, and a subject who is either is refused, even an
// Admin or the General Manager and even when assigned. For a standalone task that
// belongs to no request, pass empty strings.
func CanDecideTask(s Subject, assigneeIDs []string, requesterID, targetUserID string) Decision {
	if d, ok := precheck(s); !ok {
		return d
	}
	if s.UserID == requesterID || s.UserID == targetUserID {
		return deny(reasonOwnRequest)
	}
	if s.MintedBy != "" && s.MintedBy != s.UserID && (s.MintedBy == requesterID || s.MintedBy == targetUserID) {
		return deny(reasonMintedByRequester)
	}
	return Check(s, ApproveRequests, Resource{AssignedUserIDs: assigneeIDs})
}

// CanReassignTask implements "Reassign: POST /v1/tasks/{id}:reassign — Admin, GM".
func CanReassignTask(s Subject) Decision {
	return adminsOnly(s)
}

// CanViewTask implements "Get: GET /v1/tasks/{id} — assignees, requester of its request,
// Admin, GM". requesterID is empty for a standalone task.
func CanViewTask(s Subject, assigneeIDs []string, requesterID string) Decision {
	return adminsAnd(s, reasonTaskNotVisible,
		also{contains(assigneeIDs, s.UserID), reasonAssignee}, also{s.UserID == requesterID, reasonRequester})
}

// CanListTasks implements "Inbox / list: GET /v1/tasks?assigneeId= — own tasks; Admin, GM
// all". assigneeID is the list's filter; empty means everyone's tasks.
func CanListTasks(s Subject, assigneeID string) Decision {
	return adminsAnd(s, reasonOnlyOwnTasks, also{s.UserID == assigneeID, reasonOwnTasks})
}
