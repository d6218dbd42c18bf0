package app

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/grantflow/grantflow/pkg/events"

	"github.com/google/uuid"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// Ingest handles the events other services send the request service: task
// outcomes (task service) and onboarding and offboarding (identity). Delivery is at least
// once: each event id is handled once. An error makes the sender deliver the batch again;
// otherwise every event counts as accepted. An event that keeps failing is given up on after
// a while (ingestFailed), so that it does not hold up the events queued behind it for ever.
func (s *Service) Ingest(ctx context.Context, evs []*eventsv1.Event) (int, error) {
	if err := internalCaller(ctx); err != nil {
		return 0, err
	}
	single := false // task outcomes one by one: a run failed, find the event at fault
	for i := 0; i < len(evs); {
		ev := evs[i]
		ctx := events.WithTrace(ctx, ev)
		n, err := 1, error(nil)
		switch {
		case isTaskOutcome(ev):
			// A run of task outcomes is handled in one transaction: one commit for the batch.
			for !single && i+n < len(evs) && isTaskOutcome(evs[i+n]) {
				n++
			}
			err = s.onTasks(ctx, evs[i:i+n])
			if err != nil && n > 1 {
				single = true // the ones before the failing event commit, it fails alone
				continue
			}
		case ev.GetAction() == "user.onboarded":
			err = s.onOnboarded(ctx, ev)
		case ev.GetAction() == "user.offboarded":
			err = s.onOffboarded(ctx, ev)
		default:
			s.log.DebugContext(ctx, "request: event ignored", "action", ev.GetAction(), "event", ev.GetId())
		}
		if err != nil {
			if err := s.ingestFailed(ctx, ev, err); err != nil {
				return 0, fmt.Errorf("event %s (%s): %w", ev.GetId(), ev.GetAction(), err)
			}
		} else {
			s.ingestFails.forget(evs[i : i+n]...)
		}
		i += n
	}
	return len(evs), nil
}

func isTaskOutcome(ev *eventsv1.Event) bool {
	switch ev.GetAction() {
	case "task.approved", "task.declined", "task.completed", "task.auto_approved", "task.reassigned", "task.escalated":
		return true
	}
	return false
}

// onTasks handles task outcomes in one transaction (see onTask), then asks the task service
// for the tasks of the steps that transaction opened.
//
// Before the transaction, the opening of each step a passed step leads to is prepared (its
// assignees resolved, the only calls it needs), so that the commit that passes a step also
// records the next one's opening: one commit, and no work item delivered back to this
// service to do it. A preparation that fails, or that the transaction finds stale, is left
// to the work queue.
func (s *Service) onTasks(ctx context.Context, evs []*eventsv1.Event) error {
	prepared := s.prepareNext(ctx, evs)
	for _, in := range prepared {
		s.takeOff(in)
		defer s.land(in, false) // unless openTasks landed it
	}
	var opened []recorded
	// Quiet, and the relays woken at the end: the work relay does not race the openings
	// below to their work items.
	defer s.notify()
	err := s.writeQuiet(ctx, func(ctx context.Context, tx store.Tx) error {
		opened = opened[:0] // a retried closure starts again
		for _, ev := range evs {
			if err := s.onTask(events.WithTrace(ctx, ev), tx, ev, prepared, &opened); err != nil {
				return fmt.Errorf("event %s (%s): %w", ev.GetId(), ev.GetAction(), err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range opened {
		// The outcomes are committed: a failure here is the work queue's to finish (the
		// opening's work item), not a reason to have them delivered again.
		next, err := s.openTasks(ctx, o.in, o.r)
		if err == nil {
			_, err = s.drive(ctx, o.r.ID, next, true)
		}
		if err != nil {
			s.log.WarnContext(ctx, "request: opening deferred to the work queue", "request", o.r.ID, "error", err.Error())
		}
	}
	return nil
}

// recorded is an opening a transaction recorded: its OpenStep call and the request as that
// transaction left it.
type recorded struct {
	in *taskv1.OpenStepRequest
	r  domain.Request
}

// settles reports whether a task event can settle its step (reassignments and escalations
// cannot).
func settles(ev *eventsv1.Event) bool {
	return ev.GetAction() != "task.reassigned" && ev.GetAction() != "task.escalated"
}

// maxPrepared bounds the openings one delivery prepares and carries out itself (they run one
// after the other while the sender waits); the others of a large batch go to the work queue.
const maxPrepared = 32

// prepareNext prepares, for each passed step among evs whose request stands at it (at most
// maxPrepared), the opening of the step that comes next (request id -> its OpenStep call).
func (s *Service) prepareNext(ctx context.Context, evs []*eventsv1.Event) map[string]*taskv1.OpenStepRequest {
	out := map[string]*taskv1.OpenStepRequest{}
	for _, ev := range evs {
		if len(out) == maxPrepared {
			break
		}
		d := ev.GetTaskChanged()
		if !settles(ev) || d.GetStepOutcome() != "PASSED" || d.GetRequestId() == "" || out[d.GetRequestId()] != nil {
			continue
		}
		r, err := s.store.GetRequest(ctx, d.GetRequestId())
		if err != nil || !r.TakesOutcome(int(d.GetStepIndex())) {
			continue
		}
		r.Advance()
		if r.Next() != domain.MoveOpenStep {
			continue
		}
		if in, refusal, err := s.stepSpec(ctx, r, nil); err == nil && refusal == "" {
			out[r.ID] = in
		}
	}
	return out
}

// onTask advances the request on a task outcome, in tx: a passed step opens the next (or
// the action, or applies the effect), a failed step declines the request. The openings it
// records from prepared are appended to opened. The request records a step's opening before
// the task service makes its tasks, so an outcome always finds its step opened.
func (s *Service) onTask(ctx context.Context, tx store.Tx, ev *eventsv1.Event, prepared map[string]*taskv1.OpenStepRequest, opened *[]recorded) error {
	d := ev.GetTaskChanged()
	if d == nil {
		s.log.ErrorContext(ctx, "request: task event without a task payload skipped", "event", ev.GetId())
		return nil
	}
	if d.GetRequestId() == "" {
		return nil
	}
	if isNew, err := tx.MarkProcessed(ctx, ev.GetId()); err != nil || !isNew {
		return err
	}
	cur, err := tx.LockRequest(ctx, d.GetRequestId())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	before := cur.Clone()
	cur.AddTasks(d.GetTaskId())
	cur.AddAssignees(d.GetAssigneeIds()...)
	if settles(ev) && cur.TakesOutcome(int(d.GetStepIndex())) {
		switch d.GetStepOutcome() {
		case "PASSED":
			note := "approved"
			if d.GetType() == "ACTION" {
				note = "completed"
			}
			if d.GetDecidedBy() != "" {
				note += " by " + d.GetDecidedBy()
			}
			next := prepared[cur.ID]
			if err := s.passStep(ctx, tx, &cur, note, next); err != nil {
				return err
			}
			if next != nil && cur.StepOpened && int(next.GetStepIndex()) == cur.StepIndex && !cur.Applying {
				defer func() { *opened = append(*opened, recorded{next, cur}) }() // cur as update leaves it
			}
		case "FAILED":
			reason := fmt.Sprintf("declined at step %q", d.GetStepName())
			if d.GetDecidedBy() != "" {
				reason += " by " + d.GetDecidedBy()
			}
			if d.GetJustification() != "" {
				reason += ": " + d.GetJustification()
			}
			cur.Close(domain.Declined, reason)
			if err := s.emit(ctx, tx, "request.declined", cur, d.GetDecidedBy(), eventData(cur)); err != nil {
				return err
			}
		}
	}
	return s.update(ctx, tx, before, &cur)
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
	d := ev.GetUserChanged()
	if d.GetUserId() == "" {
		s.log.ErrorContext(ctx, "request: onboarding event without a user skipped", "event", ev.GetId())
		return nil
	}
	name := d.GetDisplayName()
	if name == "" {
		name = d.GetEmail()
	}
	_, err := s.tasks.CreateStandaloneTask(ctx, &taskv1.CreateStandaloneTaskRequest{
		Key: "onboarding/" + d.GetUserId(), AssigneeIds: []string{d.GetUserId()},
		Action: "Welcome to Grantflow, " + name + ": install the browser extension and confirm your onboarding",
		Note:   "opened by the onboarding of " + d.GetEmail(),
	})
	if err != nil && transient(err) {
		return err
	}
	if err != nil {
		// The user was offboarded in between, say: nothing to open.
		s.log.WarnContext(ctx, "request: onboarding task not opened", "user", d.GetUserId(), "error", err.Error())
	}
	return s.markProcessed(ctx, ev.GetId())
}

// offboardingNamespace makes the client ids of the removal requests an offboarding opens,
// so that a redelivered event opens each of them once.
var offboardingNamespace = uuid.MustParse("8f0b6f4c-4a55-4d0e-9a0f-0c1f6b3e2d71")

// onOffboarded opens a REMOVE_ACCESS request for each access the user held, and a
// standalone task to confirm the offboarding (for whoever offboarded them).
func (s *Service) onOffboarded(ctx context.Context, ev *eventsv1.Event) error {
	d := ev.GetUserChanged()
	if d.GetUserId() == "" {
		s.log.ErrorContext(ctx, "request: offboarding event without a user skipped", "event", ev.GetId())
		return nil
	}
	actor := ev.GetActorId()
	var opened []submitted
	defer func() {
		for _, o := range opened {
			s.land(o.open, false) // those settle did not land
		}
	}()
	for _, a := range d.GetAccesses() {
		r, open, err := s.submit(ctx, actor, nil, Submission{
			ClientID: uuid.NewSHA1(offboardingNamespace, []byte(ev.GetId()+"/"+a.GetAppId())).String(),
			Type:     domain.RemoveAccess, TargetUserID: d.GetUserId(), AppID: a.GetAppId(), Permission: a.GetPermission(),
			Reason: "offboarding of " + d.GetEmail(),
		})
		switch {
		case err == nil:
			opened = append(opened, submitted{r, open})
		case transient(err):
			return err
		default:
			// The access went away in between: nothing to remove.
			s.log.WarnContext(ctx, "request: offboarding removal not opened", "user", d.GetUserId(), "app", a.GetAppId(), "error", err.Error())
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
			Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_ADMINS}, ExcludeUserIds: []string{d.GetUserId()},
		})
		if err != nil {
			return err
		}
		assignees = res.GetUserIds()
	}
	if len(assignees) > 0 {
		_, err := s.tasks.CreateStandaloneTask(ctx, &taskv1.CreateStandaloneTaskRequest{
			Key: "offboarding/" + d.GetUserId(), AssigneeIds: assignees,
			Action: fmt.Sprintf("Confirm the offboarding of %s: accounts closed, devices returned (%d access removals requested)", d.GetEmail(), len(opened)),
			Note:   "opened by the offboarding of " + d.GetEmail(),
		})
		if err != nil && transient(err) {
			return err
		}
	}
	if err := s.rerouteTasks(ctx, d); err != nil {
		return err
	}
	if err := s.markProcessed(ctx, ev.GetId()); err != nil {
		return err
	}
	for _, o := range opened {
		if _, err := s.settle(ctx, o.r, o.open); err != nil {
			return err
		}
	}
	return nil
}

// Work handles the service's own work queue (sink "work"): what must still happen after a
// commit. Each item is idempotent; an error makes the relay deliver the batch again later.
func (s *Service) Work(ctx context.Context, evs []*eventsv1.Event) error {
	for _, ev := range evs {
		ctx := events.WithTrace(ctx, ev)
		var err error
		switch ev.GetAction() {
		case workDrive, workAgent:
			_, err = s.drive(ctx, ev.GetRequestId(), nil, false)
			err = s.giveUp(ctx, ev, err)
		case workOpen:
			err = s.giveUp(ctx, ev, s.openQueued(ctx, ev.GetRequestWork().GetOpenStep()))
		case workExpire:
			err = s.openExpiry(ctx, ev)
		case workCancelTasks:
			_, err = s.tasks.CancelTasks(ctx, cancelTasksRequest(ev.GetRequestId(), ev.GetRequestWork().GetReason()))
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

// unavailable reports whether err is a service or database being unreachable for now (read
// as a domain error whether or not the connection turned the status into one, as transient).
func unavailable(err error) bool { return errs.Temporary(errs.FromStatus(err)) }

// rerouteTasks gives the pending tasks of an offboarded user to their manager (when active),
// else to the admins, with the reason in each task's history. Idempotent: the task service
// moves only tasks the user still holds.
func (s *Service) rerouteTasks(ctx context.Context, d *eventsv1.UserChanged) error {
	to, why := []string{}, ""
	if m := d.GetManagerId(); m != "" {
		f, err := s.identity.GetFacts(ctx, &identityv1.GetFactsRequest{UserIds: []string{m}})
		if err != nil {
			return err
		}
		if u, ok := f.GetUsers()[m]; ok && u.GetStatus() == identityv1.User_ACTIVE {
			to, why = []string{m}, "their manager"
		}
	}
	if len(to) == 0 {
		res, err := s.identity.ResolveAssignees(ctx, &identityv1.ResolveAssigneesRequest{
			Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_ADMINS}, ExcludeUserIds: []string{d.GetUserId()},
		})
		if err != nil {
			return err
		}
		to, why = res.GetUserIds(), "the admins (no active manager)"
	}
	if len(to) == 0 {
		return nil
	}
	_, err := s.tasks.RerouteTasks(ctx, &taskv1.RerouteTasksRequest{UserId: d.GetUserId(), ToUserIds: to,
		Reason: fmt.Sprintf("%s was offboarded: their pending tasks go to %s", d.GetEmail(), why)})
	if err != nil && transient(err) {
		return err
	}
	if err != nil {
		s.log.ErrorContext(ctx, "request: rerouting an offboarded user's tasks refused", "user", d.GetUserId(), "error", err.Error())
	}
	return nil
}
