package app

import (
	"context"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// GetTask returns a task the caller may see: an assignee, the requester of its request,
// Admin, GM. Anyone else gets NOT_FOUND, as for a task that does not exist.
func (s *Service) GetTask(ctx context.Context, id string) (domain.Task, error) {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return domain.Task{}, err
	}
	return appkit.Visible("task", id, func(t domain.Task) bool {
		return authz.CanViewTask(sub, t.AssigneeIDs, t.RequesterID).Allowed
	})(s.store.GetTask(ctx, id))
}

// ListQuery is a ListTasks call.
type ListQuery struct {
	AssigneeID string
	Status     domain.Status
	RequestID  string
	PageSize   int32
	PageToken  string
}

// ListTasks lists tasks in id order. A User's list is their own tasks: AssigneeID defaults
// to the caller, and naming someone else is PERMISSION_DENIED. Admin and GM list everyone's
// (an empty AssigneeID: all tasks).
func (s *Service) ListTasks(ctx context.Context, q ListQuery) ([]domain.Task, string, error) {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if q.AssigneeID == "" && !isAdminOrGM(sub) {
		q.AssigneeID = sub.UserID
	}
	if err := deny(authz.CanListTasks(sub, q.AssigneeID)); err != nil {
		return nil, "", err
	}
	return paging.List("tasks", q.PageToken, 1, q.PageSize, func(after []string, n int) ([]domain.Task, error) {
		return s.store.ListTasks(ctx, store.Filter{AssigneeID: q.AssigneeID, Status: q.Status, RequestID: q.RequestID}, store.Page{Size: n, After: after[0]})
	}, func(t domain.Task) []string { return []string{t.ID} })
}
