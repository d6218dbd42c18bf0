package app

import (
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// Console pages the messages link to (web/src/main.tsx's routes, under the console URL).
const (
	pathInbox   = "/inbox"
	pathReviews = "/reviews"
	// pathRequestAccess: the holder of an expiring access asks for it again there.
	pathRequestAccess = "/request"
)

func requestPath(id string) string { return "/requests/" + id }

// plan is who an event tells what (API.md, "Time"): the assignees of a task that opens for
// them, is reassigned or escalated to them, or is due; the requester of a request that
// closes; the reviewers of an access review that launches or is about to be due; the holder
// of an access that expires soon. One notice per person per event; none for a task that
// is not pending (an auto-approved step's task is created approved), for an access-review
// task (the campaign's launch tells its reviewers), or for the person who closed their own
// request or reassigned a task to themselves. (A task that opens is told even to the
// person whose decision opened it: the decider of one step may be an assignee of the next.)
func plan(ev *eventsv1.Event) []domain.Notice {
	var out []domain.Notice
	self := ""
	switch ev.GetAction() {
	case "task.reassigned", "request.done", "request.declined", "request.cancelled", "request.failed":
		self = ev.GetActorId()
	}
	add := func(users []string, n domain.Notice) {
		for _, u := range users {
			if u == "" || u == auth.SystemUserID || u == self || slices.ContainsFunc(out, func(o domain.Notice) bool { return o.UserID == u }) {
				continue
			}
			n.UserID = u
			out = append(out, n)
		}
	}
	switch ev.GetAction() {
	case "task.created", "task.reassigned", "task.escalated", "task.due":
		t := ev.GetTaskChanged()
		if t == nil || t.GetStatus() != "PENDING" || t.GetType() == "ACCESS_REVIEW" {
			return nil
		}
		n := domain.Notice{TaskType: t.GetType(), TaskAction: t.GetAction(), StepName: t.GetStepName(),
			RequestID: t.GetRequestId(), DueTime: timeOf(t.GetDueTime()), Path: pathInbox}
		if n.RequestID != "" {
			n.Path = requestPath(n.RequestID)
		}
		users := t.GetAssigneeIds()
		switch ev.GetAction() {
		case "task.created":
			n.Kind = domain.TaskOpened
		case "task.due":
			n.Kind = domain.TaskDue
		case "task.reassigned":
			n.Kind, users = domain.TaskReassigned, added(users, t.GetPreviousAssigneeIds())
		case "task.escalated":
			n.Kind, users = domain.TaskEscalated, added(users, t.GetPreviousAssigneeIds())
		}
		add(users, n)
	case "request.done", "request.declined", "request.cancelled", "request.failed":
		r := ev.GetRequestChanged()
		if r == nil {
			return nil
		}
		id := ev.GetRequestId()
		add([]string{r.GetRequesterId()}, domain.Notice{Kind: domain.RequestClosed, Path: requestPath(id), RequestID: id,
			RequestType: r.GetType(), RequestStatus: r.GetStatus(), AppID: r.GetAppId(), NewAppName: r.GetNewApp().GetName(),
			Permission: r.GetPermission(), TargetUserID: r.GetTargetUserId(), Reason: r.GetReason()})
	case "accessReview.launched", "accessReview.reminder":
		a := ev.GetAccessReviewChanged()
		if a == nil {
			return nil
		}
		kind := domain.ReviewLaunched
		if ev.GetAction() == "accessReview.reminder" {
			kind = domain.ReviewReminder
		}
		add(a.GetItemReviewerIds(), domain.Notice{Kind: kind, Path: pathReviews, ReviewName: a.GetName(), DueTime: timeOf(a.GetDueTime())})
	case "access.expiring":
		a := ev.GetAccessChanged()
		if a == nil {
			return nil
		}
		add([]string{a.GetUserId()}, domain.Notice{Kind: domain.AccessExpiring, Path: pathRequestAccess, AppID: a.GetAppId(),
			Permission: a.GetPermission(), TargetUserID: a.GetUserId(), DueTime: timeOf(a.GetExpireTime())})
	}
	return out
}

// added is after less before: the people a reassignment or an escalation brought in.
func added(after, before []string) []string {
	var out []string
	for _, u := range after {
		if !slices.Contains(before, u) {
			out = append(out, u)
		}
	}
	return out
}

func timeOf(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime().UTC().Truncate(time.Microsecond)
}
