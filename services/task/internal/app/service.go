package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// ServiceName is this service's name in events and traces.
const ServiceName = "grantflow-task"

// Sink names of the outbox.
const (
	SinkAudit   = "audit"
	SinkRequest = "request"
	// SinkNotification receives every event, as audit does (webhooks).
	SinkNotification = "notification"
)

// Options configure the service.
type Options struct {
	Store store.Store
	// Identity answers whether people exist and are active (reassign, standalone tasks).
	Identity identityv1.IdentityInternalServiceClient
	Logger   *slog.Logger
	// Notify is called after a commit that appended outbox events (wakes the relays).
	Notify func()
	Now    func() time.Time
}

// Service implements the task API.
type Service struct {
	store    store.Store
	identity identityv1.IdentityInternalServiceClient
	log      *slog.Logger
	notify   func()
	now      func() time.Time
}

// New returns the service.
func New(o Options) *Service {
	s := &Service{store: o.Store, identity: o.Identity, log: o.Logger, notify: o.Notify, now: o.Now}
	s.log, s.notify, s.now = appkit.Defaults(s.log, s.notify, s.now)
	return s
}

// write runs fn in one transaction, then wakes the relays.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return appkit.Write(ctx, s.store.InTx, s.notify, fn)
}

// internalCaller refuses a caller that is not another Grantflow service. The server's
// InternalOnly already does; this keeps the application layer safe on its own.
var internalCaller = appkit.Internal

var isAdminOrGM = appkit.AdminOrGM

var deny = appkit.Deny

var newID = appkit.NewID

// stateError turns the state machine's refusals and a lost race into API errors.
func stateError(err error, t domain.Task) error {
	switch {
	case errors.Is(err, domain.ErrAccessReviewTask):
		return errs.FailedPrecondition("TASK_ACCESS_REVIEW", fmt.Sprintf("task %s is an access review task: decide the items of access review %s instead", t.ID, t.AccessReviewID)).With("accessReviewId", t.AccessReviewID)
	case errors.Is(err, domain.ErrNotPending):
		return errs.FailedPrecondition("TASK_NOT_PENDING", fmt.Sprintf("task %s is %s, no longer pending", t.ID, t.Status))
	case errors.Is(err, domain.ErrNotReview):
		return errs.FailedPrecondition("TASK_NOT_REVIEW", fmt.Sprintf("task %s is a %s task: only review tasks are approved or declined", t.ID, t.Type))
	case errors.Is(err, domain.ErrNotCompletable):
		return errs.FailedPrecondition("TASK_NOT_COMPLETABLE", fmt.Sprintf("task %s is a review task: approve or decline it", t.ID))
	case errors.Is(err, store.ErrConflict):
		return errs.Aborted("CONCURRENT_CHANGE", fmt.Sprintf("task %s changed concurrently; read it again", t.ID)).Wrap(err)
	}
	return err
}

// fieldError turns the domain's FieldError into INVALID_ARGUMENT naming the field.
func fieldError(err error) error {
	var fe *domain.FieldError
	if errors.As(err, &fe) {
		return errs.Invalid(fe.Field, fe.Description)
	}
	return err
}
