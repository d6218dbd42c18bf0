package app

import (
	"context"
	"errors"
	"slices"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// NewStandalone describes a standalone task.
type NewStandalone struct {
	// Key makes creation idempotent ("" for none: the public CreateTask).
	Key         string
	AssigneeIDs []string
	Action      string
	Note        string
}

// CreateStandalone creates a standalone task for the system (internal). The same key again
// returns the task of the first call and creates nothing.
func (s *Service) CreateStandalone(ctx context.Context, n NewStandalone) (domain.Task, error) {
	if _, err := internalCaller(ctx); err != nil {
		return domain.Task{}, err
	}
	if n.Key == "" {
		return domain.Task{}, errs.Invalid("key", "required")
	}
	if t, err := s.store.GetTaskByKey(ctx, n.Key); err == nil {
		return t, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return t, err
	}
	return s.createStandalone(ctx, n)
}

// CreateTask creates a standalone task for Admin and the General Manager (public).
func (s *Service) CreateTask(ctx context.Context, n NewStandalone) (domain.Task, error) {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return domain.Task{}, err
	}
	if !isAdminOrGM(sub) {
		return domain.Task{}, errs.PermissionDenied("not allowed: only Admin and General Manager create tasks")
	}
	n.Key = ""
	return s.createStandalone(ctx, n)
}

func (s *Service) createStandalone(ctx context.Context, n NewStandalone) (domain.Task, error) {
	p, _, err := auth.Caller(ctx)
	if err != nil {
		return domain.Task{}, err
	}
	if err := s.checkPeople(ctx, "assignee_ids", n.AssigneeIDs); err != nil {
		return domain.Task{}, err
	}
	now := s.now()
	t := domain.Task{
		ID: newID(), Type: domain.Standalone, Key: n.Key,
		Assignee:    domain.Assignee{Kind: "USERS", UserIDs: slices.Clone(n.AssigneeIDs)},
		AssigneeIDs: slices.Clone(n.AssigneeIDs), Approval: domain.Any, Action: n.Action, Status: domain.Pending,
		History:    []domain.HistoryEntry{{Time: now, ActorID: p.UserID, Event: domain.EventCreated, Note: n.Note}},
		CreateTime: now, UpdateTime: now, Version: 1,
	}
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		switch err := tx.CreateTask(ctx, t); {
		case errors.Is(err, store.ErrConflict) && n.Key != "":
			// A concurrent call with the same key won: answer with its task.
			t, err = tx.GetTaskByKey(ctx, n.Key)
			return err
		case err != nil:
			return err
		}
		data := taskEvent(t)
		data.Note = n.Note
		return s.emit(ctx, tx, ActionCreated, t, "", data)
	})
	return t, err
}
