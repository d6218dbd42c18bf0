package app

import (
	"context"
	"errors"
	"slices"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// Timer kinds of the task service. A task's timers are keyed by kind and task id, so each
// fires once per task.
const (
	// KindDue fires at a review task's due time: the reminder (task.due).
	KindDue = "task.due"
	// KindEscalate fires at its escalation time: the escalation target joins (task.escalated).
	KindEscalate = "task.escalate"
)

func timerKey(kind, taskID string) string { return kind + ":" + taskID }

// scheduleTimers sets, in tx, the due and escalation timers of a task just created.
func scheduleTimers(ctx context.Context, tx store.Tx, t domain.Task) error {
	if t.Status != domain.Pending {
		return nil
	}
	if !t.DueTime.IsZero() {
		if err := tx.Schedule(ctx, timer.Timer{Key: timerKey(KindDue, t.ID), Kind: KindDue, FireAt: t.DueTime, Payload: []byte(t.ID)}); err != nil {
			return err
		}
	}
	if !t.EscalateTime.IsZero() {
		return tx.Schedule(ctx, timer.Timer{Key: timerKey(KindEscalate, t.ID), Kind: KindEscalate, FireAt: t.EscalateTime, Payload: []byte(t.ID)})
	}
	return nil
}

// HandleTimers registers the task service's timer handlers on r.
func (s *Service) HandleTimers(r *timer.Runner[store.Tx]) {
	r.Handle(KindDue, s.fireDue)
	r.Handle(KindEscalate, s.fireEscalation)
}

// lockPending locks the timer's task; ok is false when it is gone or no longer pending
// (the timer then has nothing to do).
func lockPending(ctx context.Context, tx store.Tx, tm timer.Timer) (domain.Task, bool, error) {
	t, err := tx.LockTask(ctx, string(tm.Payload))
	if errors.Is(err, store.ErrNotFound) {
		return t, false, nil
	}
	if err != nil {
		return t, false, err
	}
	return t, t.Status == domain.Pending, nil
}

// fireDue records that a pending task is due and tells its assignees (task.due), in the
// transaction that removes the timer.
func (s *Service) fireDue(ctx context.Context, tx store.Tx, tm timer.Timer) error {
	t, ok, err := lockPending(ctx, tx, tm)
	if err != nil || !ok {
		return err
	}
	t.MarkDue(s.now())
	if err := tx.UpdateTask(ctx, t); err != nil {
		return err
	}
	return s.emit(ctx, tx, ActionDue, t, domain.SystemActor, taskEvent(t))
}

// fireEscalation adds the escalation's people to a task still pending (task.escalated,
// audited, history "escalated"). For ALL and QUORUM steps, nobody who holds or decided
// another task of the step joins: one person, one decision per step. The requester and
// target user were never among them (the request service resolved them without, and
// domain.Escalate checks again).
func (s *Service) fireEscalation(ctx context.Context, tx store.Tx, tm timer.Timer) error {
	t, ok, err := lockPending(ctx, tx, tm)
	if err != nil || !ok {
		return err
	}
	if t.Approval != domain.Any {
		siblings, err := tx.StepTasks(ctx, t.RequestID, t.StepIndex)
		if err != nil {
			return err
		}
		t.EscalationUserIDs = slices.DeleteFunc(t.EscalationUserIDs, func(u string) bool {
			return slices.ContainsFunc(siblings, func(o domain.Task) bool { return o.ID != t.ID && (o.IsAssignee(u) || o.DecidedBy == u) })
		})
	}
	before, ok := t.Escalate(s.now())
	if !ok {
		return nil
	}
	if err := tx.UpdateTask(ctx, t); err != nil {
		return err
	}
	data := taskEvent(t)
	data.PreviousAssigneeIds, data.Note = before, t.History[len(t.History)-1].Note
	return s.emit(ctx, tx, ActionEscalated, t, domain.SystemActor, data)
}

// rerouteBatch is how many of the person's pending tasks one transaction of RerouteTasks
// moves.
var rerouteBatch = 100

// RerouteTasks moves the pending tasks of userID, who was offboarded, to others (internal:
// the request service, on user.offboarded), each with reason in its history
// (task.reassigned). It returns the tasks that moved; again for the same person it moves
// nothing more.
//
// Every pending task of the person moves, however many: they are read page by page (in id
// order, rerouteBatch at a time) inside the transaction that moves them, one transaction per
// page, so a task assigned to them before that read is seen and locked with the others. A
// task that stays with them (nobody else may decide it) is passed over by the page cursor.
// A failure leaves the pages before it moved; the caller's retry moves the rest.
func (s *Service) RerouteTasks(ctx context.Context, userID string, to []string, reason string) ([]string, error) {
	if _, err := internalCaller(ctx); err != nil {
		return nil, err
	}
	if slices.Contains(to, userID) {
		return nil, errs.Invalid("to_user_ids", "the person who left cannot take over their own tasks")
	}
	var moved []string
	for page := (store.Page{Size: rerouteBatch}); page.Size > 0; {
		var (
			done []string
			next store.Page // the page after this one; Size 0: none
		)
		err := s.write(ctx, func(ctx context.Context, tx store.Tx) error {
			done, next = nil, store.Page{} // a retried closure starts again
			pending, err := tx.ListTasks(ctx, store.Filter{AssigneeID: userID, Status: domain.Pending}, page)
			if err != nil {
				return err
			}
			if len(pending) == page.Size {
				next = store.Page{Size: page.Size, After: pending[len(pending)-1].ID}
			}
			now := s.now()
			for _, p := range pending {
				t, err := tx.LockTask(ctx, p.ID)
				if err != nil {
					return err
				}
				before, ok := t.Reroute(userID, to, reason, now)
				if !ok {
					continue
				}
				if len(t.AssigneeIDs) == 0 {
					// Everyone else may not decide on it (the request's own people): the task
					// keeps the person who left, and the history says why nobody took it.
					continue
				}
				if err := tx.UpdateTask(ctx, t); err != nil {
					return err
				}
				data := taskEvent(t)
				data.Note, data.PreviousAssigneeIds = reason, before
				if err := s.emit(ctx, tx, ActionReassigned, t, domain.SystemActor, data); err != nil {
					return err
				}
				done = append(done, t.ID)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		moved, page = append(moved, done...), next
	}
	return moved, nil
}

// dueTimePB is the due time of a task for events, nil when it has none.
func dueTimePB(t domain.Task) *timestamppb.Timestamp {
	if t.DueTime.IsZero() {
		return nil
	}
	return timestamppb.New(t.DueTime)
}
