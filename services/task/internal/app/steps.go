package app

import (
	"context"
	"errors"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// OpenedStep is OpenStep's answer.
type OpenedStep struct {
	Tasks []domain.Task
	// AlreadyOpened: an earlier call opened the step; nothing was created now.
	AlreadyOpened bool
	Outcome       domain.Outcome
}

// OpenStep opens the tasks of one step of a request (internal: the request service).
// It is idempotent on (RequestID, Index): a step opened before is returned as it is now,
// whatever this call's other fields say.
func (s *Service) OpenStep(ctx context.Context, spec domain.StepSpec) (OpenedStep, error) {
	if _, err := internalCaller(ctx); err != nil {
		return OpenedStep{}, err
	}
	spec.Normalize()
	// The step that exists wins over this call's input, even input that would be refused now.
	// Valid input goes straight to the transaction, which answers with the existing step when
	// its insert finds one (no read before it: an opening is nearly always a first one).
	if err := spec.Validate(); err != nil {
		if opened, oerr := s.openedStep(ctx, s.store, spec.RequestID, spec.Index); oerr == nil {
			return opened, nil
		} else if !errors.Is(oerr, store.ErrNotFound) {
			return OpenedStep{}, oerr
		}
		return OpenedStep{}, fieldError(err)
	}
	var out OpenedStep
	err := s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		now := s.now()
		step := spec.Step
		step.Outcome, step.CreateTime, step.UpdateTime, step.Version = domain.Open, now, now, 1
		tasks := spec.Tasks(newID, now)
		if spec.AutoApproveReason != "" {
			step.Outcome = domain.Passed
		}
		switch err := tx.CreateStep(ctx, step); {
		case errors.Is(err, store.ErrConflict):
			// An earlier or concurrent call opened it (and committed): answer with its tasks.
			out, err = s.openedStep(ctx, tx, spec.RequestID, spec.Index)
			return err
		case err != nil:
			return err
		}
		for _, t := range tasks {
			if err := tx.CreateTask(ctx, t); err != nil {
				return err
			}
			if err := scheduleTimers(ctx, tx, t); err != nil {
				return err
			}
			created := taskEvent(t)
			created.Note = spec.ResolutionNote
			if err := s.emit(ctx, tx, ActionCreated, t, "", created); err != nil {
				return err
			}
			if t.Status == domain.Done {
				tally := domain.TallyOf(tasks)
				if err := s.emit(ctx, tx, ActionAutoApproved, t, domain.SystemActor, outcomeEvent(t, step, tally, step.Outcome, nil)); err != nil {
					return err
				}
			}
		}
		out = OpenedStep{Tasks: tasks, Outcome: step.Outcome}
		return nil
	})
	return out, err
}

// openedStep reads a step and its tasks (ErrNotFound if the step was never opened).
func (s *Service) openedStep(ctx context.Context, r store.Reader, requestID string, index int) (OpenedStep, error) {
	step, err := r.GetStep(ctx, requestID, index)
	if err != nil {
		return OpenedStep{}, err
	}
	tasks, err := r.StepTasks(ctx, requestID, index)
	if err != nil {
		return OpenedStep{}, err
	}
	return OpenedStep{Tasks: tasks, AlreadyOpened: true, Outcome: step.Outcome}, nil
}

// CancelTasks cancels every pending task of a request (internal: the request service, when
// a request is cancelled, declined or fails). Idempotent: tasks that are no longer pending
// stay as they are; an unknown request has nothing to cancel.
func (s *Service) CancelTasks(ctx context.Context, requestID, reason string) ([]string, error) {
	p, err := internalCaller(ctx)
	if err != nil {
		return nil, err
	}
	actor := p.UserID
	if actor == "" {
		actor = auth.SystemUserID
	}
	var cancelled []string
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		cancelled = nil // a retried closure starts again
		now := s.now()
		steps, err := tx.LockRequestSteps(ctx, requestID)
		if err != nil {
			return err
		}
		for _, step := range steps {
			tasks, err := tx.StepTasks(ctx, requestID, step.Index)
			if err != nil {
				return err
			}
			n := 0
			for _, t := range tasks {
				if !t.Cancel(actor, reason, now) {
					continue
				}
				if err := s.cancelled(ctx, tx, t, "", reason); err != nil {
					return err
				}
				cancelled = append(cancelled, t.ID)
				n++
			}
			if n > 0 && step.Outcome == domain.Open {
				step.Outcome, step.UpdateTime = domain.StepCancelled, now
				step.Version++
				if err := tx.UpdateStep(ctx, step); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if cancelled == nil {
		cancelled = []string{}
	}
	return cancelled, err
}

// cancelled writes a task that Cancel changed, and its event.
func (s *Service) cancelled(ctx context.Context, tx store.Tx, t domain.Task, actor, reason string) error {
	if err := tx.UpdateTask(ctx, t); err != nil {
		return err
	}
	data := taskEvent(t)
	data.Note = reason
	return s.emit(ctx, tx, ActionCancelled, t, actor, data)
}
