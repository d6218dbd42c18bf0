package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/propagation"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// withTrace continues the trace of the command that produced ev, so that the work an
// asynchronous delivery causes joins that trace.
func withTrace(ctx context.Context, ev *eventsv1.Event) context.Context {
	if ev.GetTraceparent() == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": ev.GetTraceparent()})
}

// DeliverEvents handles the events other services send the request service: task
// outcomes (task service) and onboarding and offboarding (identity). Delivery is at least
// once: each event id is handled once. An error makes the sender deliver the batch again.
func (s *Service) DeliverEvents(ctx context.Context, events []*eventsv1.Event) error {
	if err := internalCaller(ctx); err != nil {
		return err
	}
	for _, ev := range events {
		ctx := withTrace(ctx, ev)
		var err error
		switch ev.GetAction() {
		case "task.approved", "task.declined", "task.completed", "task.auto_approved", "task.reassigned":
			err = s.onTask(ctx, ev)
		case "user.onboarded":
			err = s.onOnboarded(ctx, ev)
		case "user.offboarded":
			err = s.onOffboarded(ctx, ev)
		default:
			s.log.DebugContext(ctx, "request: event ignored", "action", ev.GetAction(), "event", ev.GetId())
		}
		if err != nil {
			return fmt.Errorf("event %s (%s): %w", ev.GetId(), ev.GetAction(), err)
		}
	}
	return nil
}

// taskData is what the request service reads of a task event (see the task service's
// README: the task after the change, and its step's state after the decision).
type taskData struct {
	TaskID        string   `json:"taskId"`
	RequestID     string   `json:"requestId"`
	StepIndex     int      `json:"stepIndex"`
	StepName      string   `json:"stepName"`
	Type          string   `json:"type"`
	AssigneeIDs   []string `json:"assigneeIds"`
	Decision      string   `json:"decision"`
	DecidedBy     string   `json:"decidedBy"`
	Justification string   `json:"justification"`
	StepOutcome   string   `json:"stepOutcome"`
}

// onTask advances the request on a task outcome: a passed step opens the next (or the
// action, or applies the effect), a failed step declines the request.
func (s *Service) onTask(ctx context.Context, ev *eventsv1.Event) error {
	var d taskData
	if err := json.Unmarshal(ev.GetData(), &d); err != nil {
		s.log.ErrorContext(ctx, "request: unreadable task event skipped", "event", ev.GetId(), "error", err.Error())
		return nil
	}
	if d.RequestID == "" {
		return nil
	}
	return s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		if isNew, err := tx.MarkProcessed(ctx, ev.GetId()); err != nil || !isNew {
			return err
		}
		cur, err := tx.LockRequest(ctx, d.RequestID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		before := cur.Clone()
		cur.AddTasks(d.TaskID)
		cur.AddAssignees(d.AssigneeIDs...)
		if ev.GetAction() != "task.reassigned" && cur.Open() && !cur.Applying && d.StepIndex == cur.StepIndex {
			if !cur.StepOpened && (d.StepOutcome == "PASSED" || d.StepOutcome == "FAILED") {
				// The outcome overtook OpenStep's answer (the tasks exist once OpenStep
				// commits): record the opening now, so that the lineage has it; openStep
				// will find the request moved on and record nothing more.
				cur.StepOpened = true
				data := eventData(cur)
				data.TaskIDs, data.AssigneeIDs = []string{d.TaskID}, d.AssigneeIDs
				if err := s.emit(ctx, tx, "request.step_opened", cur, auth.SystemUserID, data); err != nil {
					return err
				}
			}
			switch d.StepOutcome {
			case "PASSED":
				note := "approved"
				if d.Type == "ACTION" {
					note = "completed"
				}
				if d.DecidedBy != "" {
					note += " by " + d.DecidedBy
				}
				if err := s.passStep(ctx, tx, &cur, note); err != nil {
					return err
				}
			case "FAILED":
				reason := fmt.Sprintf("declined at step %q", d.StepName)
				if d.DecidedBy != "" {
					reason += " by " + d.DecidedBy
				}
				if d.Justification != "" {
					reason += ": " + d.Justification
				}
				cur.Close(domain.Declined, reason)
				if err := s.emit(ctx, tx, "request.declined", cur, d.DecidedBy, eventData(cur)); err != nil {
					return err
				}
			}
		}
		return s.update(ctx, tx, before, cur)
	})
}

// userData is what the request service reads of identity's user events.
type userData struct {
	UserID      string `json:"userId"`
	Email       string `json:"email"`
	DisplayName string `json:"displayName"`
	Accesses    []struct {
		AppID      string `json:"appId"`
		Permission string `json:"permission"`
	} `json:"accesses"`
}

// markProcessed records an event as handled (its effects were idempotent calls).
func (s *Service) markProcessed(ctx context.Context, id string) error {
	return s.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.MarkProcessed(ctx, id)
		return err
	})
}

// onOnboarded opens the new user's standalone onboarding task.
func (s *Service) onOnboarded(ctx context.Context, ev *eventsv1.Event) error {
	var d userData
	if err := json.Unmarshal(ev.GetData(), &d); err != nil || d.UserID == "" {
		s.log.ErrorContext(ctx, "request: unreadable onboarding event skipped", "event", ev.GetId())
		return nil
	}
	name := d.DisplayName
	if name == "" {
		name = d.Email
	}
	_, err := s.tasks.CreateStandaloneTask(ctx, &taskv1.CreateStandaloneTaskRequest{
		Key: "onboarding/" + d.UserID, AssigneeIds: []string{d.UserID},
		Action: "Welcome to Grantflow, " + name + ": install the browser extension and confirm your onboarding",
		Note:   "opened by the onboarding of " + d.Email,
	})
	if err != nil && transient(err) {
		return err
	}
	if err != nil {
		// The user was offboarded in between, say: nothing to open.
		s.log.WarnContext(ctx, "request: onboarding task not opened", "user", d.UserID, "error", err.Error())
	}
	return s.markProcessed(ctx, ev.GetId())
}

// offboardingNamespace makes the client ids of the removal requests an offboarding opens,
// so that a redelivered event opens each of them once.
var offboardingNamespace = uuid.MustParse("8f0b6f4c-4a55-4d0e-9a0f-0c1f6b3e2d71")

// onOffboarded opens a REMOVE_ACCESS request for each access the user held, and a
// standalone task to confirm the offboarding (for whoever offboarded them).
func (s *Service) onOffboarded(ctx context.Context, ev *eventsv1.Event) error {
	var d userData
	if err := json.Unmarshal(ev.GetData(), &d); err != nil || d.UserID == "" {
		s.log.ErrorContext(ctx, "request: unreadable offboarding event skipped", "event", ev.GetId())
		return nil
	}
	actor := ev.GetActorId()
	var opened []string
	for _, a := range d.Accesses {
		r, err := s.submit(ctx, actor, nil, Submission{
			ClientID: uuid.NewSHA1(offboardingNamespace, []byte(ev.GetId()+"/"+a.AppID)).String(),
			Type:     domain.RemoveAccess, TargetUserID: d.UserID, AppID: a.AppID, Permission: a.Permission,
			Reason: "offboarding of " + d.Email,
		})
		switch {
		case err == nil:
			opened = append(opened, r.ID)
		case transient(err):
			return err
		default:
			// The access went away in between: nothing to remove.
			s.log.WarnContext(ctx, "request: offboarding removal not opened", "user", d.UserID, "app", a.AppID, "error", err.Error())
		}
	}
	// Who confirms: the person who offboarded, else the admins.
	assignees := []string{}
	if f, err := s.identity.GetFacts(ctx, &identityv1.GetFactsRequest{UserIds: []string{actor}}); err != nil {
		return err
	} else if u, ok := f.GetUsers()[actor]; ok && u.GetStatus() == identityv1.User_ACTIVE {
		assignees = append(assignees, actor)
	}
	if len(assignees) == 0 {
		res, err := s.identity.ResolveAssignees(ctx, &identityv1.ResolveAssigneesRequest{
			Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_ADMINS}, ExcludeUserIds: []string{d.UserID},
		})
		if err != nil {
			return err
		}
		assignees = res.GetUserIds()
	}
	if len(assignees) > 0 {
		_, err := s.tasks.CreateStandaloneTask(ctx, &taskv1.CreateStandaloneTaskRequest{
			Key: "offboarding/" + d.UserID, AssigneeIds: assignees,
			Action: fmt.Sprintf("Confirm the offboarding of %s: accounts closed, devices returned (%d access removals requested)", d.Email, len(opened)),
			Note:   "opened by the offboarding of " + d.Email,
		})
		if err != nil && transient(err) {
			return err
		}
	}
	if err := s.markProcessed(ctx, ev.GetId()); err != nil {
		return err
	}
	for _, id := range opened {
		if _, err := s.settle(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// cancelWork is the data of a cancel_tasks work item.
type cancelWork struct {
	Reason string `json:"reason"`
}

// Work handles the service's own work queue (sink "work"): what must still happen after a
// commit. Each item is idempotent; an error makes the relay deliver the batch again later.
func (s *Service) Work(ctx context.Context, events []*eventsv1.Event) error {
	for _, ev := range events {
		ctx := withTrace(ctx, ev)
		var err error
		switch ev.GetAction() {
		case workDrive, workAgent:
			err = s.drive(ctx, ev.GetRequestId(), false)
			err = s.giveUp(ctx, ev, err)
		case workCancelTasks:
			var w cancelWork
			_ = json.Unmarshal(ev.GetData(), &w)
			_, err = s.tasks.CancelTasks(ctx, cancelTasksRequest(ev.GetRequestId(), w.Reason))
			if err != nil && !transient(err) {
				s.log.ErrorContext(ctx, "request: cancel tasks refused", "request", ev.GetRequestId(), "error", err.Error())
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("work %s on %s: %w", ev.GetAction(), ev.GetRequestId(), err)
		}
	}
	return nil
}

func cancelTasksRequest(requestID, reason string) *taskv1.CancelTasksRequest {
	if len(reason) > 1000 {
		reason = reason[:1000]
	}
	return &taskv1.CancelTasksRequest{RequestId: requestID, Reason: reason}
}

// maxWorkFailures is how often a work item may fail with an error that is not a service
// being unavailable before its request is closed FAILED: one request that cannot advance
// must not hold up the work of every other (the queue delivers in order).
const maxWorkFailures = 5

// giveUp counts the failures of a work item. An unavailable service or database is
// retried for as long as it takes; another error (a bug, a corrupt row) fails the request
// with the reason after maxWorkFailures attempts, and the queue moves on.
func (s *Service) giveUp(ctx context.Context, ev *eventsv1.Event, err error) error {
	if err == nil {
		s.failures.Delete(ev.GetId())
		return nil
	}
	if unavailable(err) {
		return err
	}
	n, _ := s.failures.LoadOrStore(ev.GetId(), new(atomic.Int32))
	if n.(*atomic.Int32).Add(1) < maxWorkFailures {
		return err
	}
	s.failures.Delete(ev.GetId())
	s.log.ErrorContext(ctx, "request: work item keeps failing; the request is closed FAILED", "request", ev.GetRequestId(), "error", err.Error())
	if ferr := s.fail(ctx, ev.GetRequestId(), "the engine could not advance the request: "+describe(err)); ferr != nil {
		return ferr
	}
	return nil
}

// unavailable reports whether err is a service or database being unreachable for now.
func unavailable(err error) bool { return errs.Temporary(err) }
