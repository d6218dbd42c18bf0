package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// Approve approves a pending review task.
func (s *Service) Approve(ctx context.Context, id, justification, ifMatch string) (domain.Task, error) {
	return s.decide(ctx, id, ifMatch, func(t *domain.Task, actor string, now time.Time) (string, error) {
		return ActionApproved, t.Decide(domain.Approve, actor, justification, now)
	})
}

// Decline declines a pending review task.
func (s *Service) Decline(ctx context.Context, id, justification, ifMatch string) (domain.Task, error) {
	return s.decide(ctx, id, ifMatch, func(t *domain.Task, actor string, now time.Time) (string, error) {
		return ActionDeclined, t.Decide(domain.Decline, actor, justification, now)
	})
}

// Complete completes a pending action or standalone task.
func (s *Service) Complete(ctx context.Context, id, note, ifMatch string) (domain.Task, error) {
	return s.decide(ctx, id, ifMatch, func(t *domain.Task, actor string, now time.Time) (string, error) {
		return ActionCompleted, t.Complete(actor, note, now)
	})
}

// decide runs one decision on task id in one transaction, holding the lock of the task's
// step and then of the task itself, so that of two concurrent decisions the second sees
// the first's result (the task no longer pending: FAILED_PRECONDITION), and the step's
// tally includes every earlier decision. When the decision settles the step, the step's
// other pending tasks are cancelled in the same transaction.
func (s *Service) decide(ctx context.Context, id, ifMatch string, change func(t *domain.Task, actor string, now time.Time) (string, error)) (domain.Task, error) {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return domain.Task{}, err
	}
	var out domain.Task
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		t, step, err := s.lockTask(ctx, tx, sub, id)
		if err != nil {
			return err
		}
		if err := deny(authz.CanDecideTask(sub, t.AssigneeIDs, t.RequesterID, t.TargetUserID)); err != nil {
			return err
		}
		if err := etag.Check(ifMatch, t.Version, "task "+t.ID); err != nil {
			return err
		}
		var siblings []domain.Task // the step's tasks, when read already
		if t.Type == domain.Review && t.InRequest() {
			if siblings, err = oneVotePerStep(ctx, tx, t, sub.UserID); err != nil {
				return err
			}
		}
		now := s.now()
		action, err := change(&t, sub.UserID, now)
		if err != nil {
			return stateError(err, t)
		}
		if err := tx.UpdateTask(ctx, t); err != nil {
			return stateError(err, t)
		}
		out = t
		if !t.InRequest() {
			return s.emit(ctx, tx, action, t, "", taskEvent(t))
		}
		for i := range siblings {
			if siblings[i].ID == t.ID {
				siblings[i] = t // as updated
			}
		}
		return s.settle(ctx, tx, step, t, action, now, siblings)
	})
	return out, err
}

// lockTask finds task id, locks its step (for a task of a request) and then the task, and
// returns them if sub may see the task (else NOT_FOUND, as for a missing task).
func (s *Service) lockTask(ctx context.Context, tx store.Tx, sub authz.Subject, id string) (domain.Task, domain.Step, error) {
	// The step a task belongs to never changes, so an unlocked read finds it.
	t, err := tx.GetTask(ctx, id)
	if err != nil {
		return t, domain.Step{}, appkit.NotFound(err, "task", id)
	}
	var step domain.Step
	if t.InRequest() {
		if step, err = tx.LockStep(ctx, t.RequestID, t.StepIndex); err != nil {
			return t, step, err
		}
	}
	if t, err = tx.LockTask(ctx, id); err != nil {
		return t, step, appkit.NotFound(err, "task", id)
	}
	if !authz.CanViewTask(sub, t.AssigneeIDs, t.RequesterID).Allowed {
		return t, step, errs.NotFound("task", id)
	}
	return t, step, nil
}

// oneVotePerStep refuses a second decision by one person within a step: an Admin or the
// General Manager may decide on an assignee's behalf, but an ALL or QUORUM step counts
// people, so nobody settles it alone by deciding several of its tasks. It returns the step's
// tasks it read.
func oneVotePerStep(ctx context.Context, tx store.Tx, t domain.Task, userID string) ([]domain.Task, error) {
	siblings, err := tx.StepTasks(ctx, t.RequestID, t.StepIndex)
	if err != nil {
		return nil, err
	}
	for _, o := range siblings {
		if o.ID != t.ID && (o.DecidedBy == userID || (o.Status == domain.Pending && o.IsAssignee(userID))) {
			return nil, errs.PermissionDenied(fmt.Sprintf("not allowed: %s already holds or decided task %s of this step; one person, one decision per step", userID, o.ID)).With("taskId", o.ID)
		}
	}
	return siblings, nil
}

// settle records the step's state after a decision on t: its outcome from the tally of its
// tasks; if the decision settled it, its other pending tasks are cancelled. It emits t's
// event (with the step's state) and one per cancelled task. tasks are the step's tasks with
// t as decided, when the transaction read them already (under the step's lock, which every
// writer of a step's tasks holds, so they are current); nil: read here.
func (s *Service) settle(ctx context.Context, tx store.Tx, step domain.Step, t domain.Task, action string, now time.Time, tasks []domain.Task) error {
	if tasks == nil {
		var err error
		if tasks, err = tx.StepTasks(ctx, step.RequestID, step.Index); err != nil {
			return err
		}
	}
	tally := domain.TallyOf(tasks)
	outcome := step.Settle(tally)
	var cancelled []domain.Task
	if outcome != domain.Open {
		why := fmt.Sprintf("step %q %s by the decision on task %s", step.Name, outcomeWords(outcome), t.ID)
		for _, o := range tasks {
			if o.ID != t.ID && o.Cancel(domain.SystemActor, why, now) {
				cancelled = append(cancelled, o)
			}
		}
		if step.Outcome == domain.Open {
			step.Outcome, step.UpdateTime = outcome, now
			step.Version++
			if err := tx.UpdateStep(ctx, step); err != nil {
				return err
			}
		}
	}
	ids := make([]string, 0, len(cancelled))
	for _, o := range cancelled {
		ids = append(ids, o.ID)
	}
	slices.Sort(ids)
	if err := s.emit(ctx, tx, action, t, "", outcomeEvent(t, step, tally, outcome, ids)); err != nil {
		return err
	}
	for _, o := range cancelled {
		if err := s.cancelled(ctx, tx, o, domain.SystemActor, o.History[len(o.History)-1].Note); err != nil {
			return err
		}
	}
	return nil
}

func outcomeWords(o domain.Outcome) string {
	if o == domain.Passed {
		return "passed"
	}
	return "failed"
}
