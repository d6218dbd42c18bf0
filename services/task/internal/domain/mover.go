package domain

import "slices"

// ManagerOf is the user whose manager a MANAGER step of the task's request goes to: the
// target user, or the requester when the request has no target (ADD_APP, ARCHIVE_APP), as
// the request service resolves it.
func (t Task) ManagerOf() string {
	if t.TargetUserID != "" {
		return t.TargetUserID
	}
	return t.RequesterID
}

// MovesWithManager reports whether the task follows user to a new manager: a pending
// review task of a MANAGER step about user (ManagerOf) that previousManager holds.
func (t Task) MovesWithManager(user, previousManager string) bool {
	return t.Status == Pending && t.Type == Review && t.Assignee.Kind == "MANAGER" &&
		user != "" && t.ManagerOf() == user && t.IsAssignee(previousManager)
}

// ReplaceAssignee returns the task's assignees with old replaced by with (in with's
// order, after the others kept), each person once; nobody in never is added.
func (t Task) ReplaceAssignee(old string, with, never []string) []string {
	out := []string{}
	for _, id := range t.AssigneeIDs {
		if id != old && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, id := range with {
		if id != "" && !slices.Contains(out, id) && !slices.Contains(never, id) {
			out = append(out, id)
		}
	}
	return out
}
