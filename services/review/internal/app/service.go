package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// ServiceName is this service's name in events and traces.
const ServiceName = "grantflow-review"

// The outbox sinks every event goes to: audit (the log) and notification (webhooks).
const (
	SinkAudit        = "audit"
	SinkNotification = "notification"
	// SinkWork is the service's own queue of what must follow a commit (the reviewers'
	// ACCESS_REVIEW tasks): delivered back to Work at least once, so a task service that is
	// down delays the tasks, and never fails the launch, decision or close that committed.
	SinkWork = "work"
)

// Options configure the service.
type Options struct {
	Store store.Store
	// Identity answers the snapshot of accesses (ListAccesses) and the apps (ListApps);
	// IdentityInternal the facts about users and apps and who the admins are. Required.
	Identity         identityv1.IdentityServiceClient
	IdentityInternal identityv1.IdentityInternalServiceClient
	// Requests lists open requests (blocked items) and opens the requests of CHANGE and
	// REMOVE decisions. Required.
	Requests requestv1.RequestServiceClient
	// Tasks opens and closes the reviewers' ACCESS_REVIEW tasks (internal API). Required.
	Tasks  taskv1.TaskInternalServiceClient
	Logger *slog.Logger
	// Notify is called after a commit that appended outbox events (wakes the relays).
	Notify func()
	Now    func() time.Time
	// LaunchBatch is how many items a launch writes at once (default 500, the page size it
	// asks identity for).
	LaunchBatch int
}

// Service implements the review API.
type Service struct {
	store            store.Store
	identity         identityv1.IdentityServiceClient
	identityInternal identityv1.IdentityInternalServiceClient
	requests         requestv1.RequestServiceClient
	tasks            taskv1.TaskInternalServiceClient
	log              *slog.Logger
	notify           func()
	now              func() time.Time
	batch            int
}

// New returns the service.
func New(o Options) *Service {
	s := &Service{
		store: o.Store, identity: o.Identity, identityInternal: o.IdentityInternal, requests: o.Requests, tasks: o.Tasks,
		log: o.Logger, notify: o.Notify, now: o.Now, batch: o.LaunchBatch,
	}
	s.log, s.notify, s.now = appkit.Defaults(s.log, s.notify, s.now)
	if s.batch <= 0 || s.batch > 500 {
		s.batch = 500
	}
	return s
}

// write runs fn in one transaction, then wakes the relays.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return appkit.Write(ctx, s.store.InTx, s.notify, fn)
}

// caller returns the principal of the call as the rules need it. The system (relay
// deliveries) counts as an Admin; an unknown role may do nothing a User may not.
func caller(ctx context.Context) (auth.Principal, domain.Caller, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || p.UserID == "" {
		return p, domain.Caller{}, errs.Unauthenticated("no caller")
	}
	c := domain.Caller{UserID: p.UserID, Role: domain.RoleUser}
	switch {
	case p.IsSystem(), p.Role == identityv1.Role_ADMIN:
		c.Role = domain.RoleAdmin
	case p.Role == identityv1.Role_GENERAL_MANAGER:
		c.Role = domain.RoleGeneralManager
	}
	return p, c, nil
}

// asSystem is ctx with the system as the caller: the launch reads every access in scope
// whoever launched it (an Admin or GM, who may see them all anyway).
func asSystem(ctx context.Context) context.Context { return auth.WithPrincipal(ctx, auth.System()) }

var newID = appkit.NewID

// requestKey is the client request id of the request an item's decision opens: one per
// item, so that a retried decision returns the same request and two deciders cannot open
// two.
func requestKey(itemID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("grantflow:accessReviewItem:"+itemID)).String()
}

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

func pageSize(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, errs.Invalid("page_size", "must not be negative")
	case n == 0:
		return defaultPageSize, nil
	case n > maxPageSize:
		return maxPageSize, nil
	}
	return int(n), nil
}

// Page tokens are opaque to clients: the base64 of the last id of the previous page.
func encodeToken(lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("r:" + lastID))
}

func decodeToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) < 3 || string(raw[:2]) != "r:" {
		return "", errs.Invalid("page_token", "not a token this list returned")
	}
	return string(raw[2:]), nil
}

// stateError turns the state machines' refusals and a lost race into API errors.
func stateError(err error, what string) error {
	switch {
	case errors.Is(err, domain.ErrNotDraft):
		return errs.FailedPrecondition("ACCESS_REVIEW_NOT_DRAFT", what+" is not a draft: it was launched already")
	case errors.Is(err, domain.ErrNotActive):
		return errs.FailedPrecondition("ACCESS_REVIEW_NOT_ACTIVE", what+" is not active")
	case errors.Is(err, domain.ErrItemBlocked):
		return errs.FailedPrecondition("ITEM_BLOCKED", what+" is blocked")
	case errors.Is(err, domain.ErrItemDecided):
		return errs.FailedPrecondition("ITEM_DECIDED", what+" is already decided")
	case errors.Is(err, domain.ErrItemNotReviewed):
		return errs.FailedPrecondition("ITEM_NOT_REVIEWED", what+" was not reviewed: its campaign is closed")
	case errors.Is(err, store.ErrConflict):
		return errs.Aborted("CONCURRENT_CHANGE", what+" changed concurrently; read it again").Wrap(err)
	}
	return err
}

// fieldError turns the domain's FieldErrors into INVALID_ARGUMENT naming every field.
func fieldError(err error) error {
	var fe *domain.FieldErrors
	if errors.As(err, &fe) {
		vs := make([]errs.FieldViolation, len(fe.Violations))
		for i, v := range fe.Violations {
			vs[i] = errs.FieldViolation{Field: v.Field, Description: v.Description}
		}
		return errs.InvalidFields(vs...)
	}
	return err
}

func quoted(s string) string { return fmt.Sprintf("%q", s) }
