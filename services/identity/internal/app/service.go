package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/pkg/secretbox"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// ServiceName is this service's name in events and traces.
const ServiceName = "grantflow-identity"

// Sink names of the outbox.
const (
	SinkAudit   = "audit"
	SinkRequest = "request"
	// SinkTask receives user.updated events that change a manager (the mover effect).
	SinkTask = "task"
	// SinkReview receives app.updated when an app's owners change (the review service
	// blocks and releases the items of owners).
	SinkReview = "review"
	// SinkNotification receives every event, as audit does (webhooks).
	SinkNotification = "notification"
)

// DirectoryNamespace is the cache namespace of answers derived from the directory
// (facts, assignee resolution) other than the accesses; any write of identity but an access
// change invalidates it.
const DirectoryNamespace = "directory"

// AccessNamespace holds the answers that depend on who holds which access too (the
// PRIVILEGED_USERS resolution): every write invalidates it, an access change included.
const AccessNamespace = "directory-accesses"

// Options configure the service.
type Options struct {
	Store  store.Store
	Cache  *rediscache.Cache // may wrap a nil client: no caching
	Logger *slog.Logger
	// OIDC verifies bearer JWTs; nil disables them.
	OIDC TokenVerifier
	// TriggerSinks receive onboarding and offboarding events (the request service), in
	// addition to audit. Empty: they go to audit only.
	TriggerSinks []string
	// MoverSinks receive the user.updated events that give a user another manager (the
	// task service). Empty: they go to audit and notification only.
	MoverSinks []string
	// ReviewSinks receive the changes of apps' owners (the review service), when set.
	ReviewSinks []string
	// Notify is called after a commit that appended outbox events (wakes the relay).
	Notify func()
	Now    func() time.Time
	// Box seals apps' connector secrets at rest. Required.
	Box *secretbox.Box
	// URLs is what a connector URL may be (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE lifts the rules).
	URLs stdwebhook.URLPolicy
}

// Service implements the identity API.
type Service struct {
	store        store.Store
	cache        *rediscache.Cache
	log          *slog.Logger
	oidc         TokenVerifier
	triggerSinks []string
	moverSinks   []string
	reviewSinks  []string
	notify       func()
	now          func() time.Time
	box          *secretbox.Box
	urls         stdwebhook.URLPolicy
}

// New returns the service.
func New(o Options) *Service {
	s := &Service{store: o.Store, cache: o.Cache, log: o.Logger, oidc: o.OIDC, triggerSinks: o.TriggerSinks, moverSinks: o.MoverSinks, reviewSinks: o.ReviewSinks,
		notify: o.Notify, now: o.Now, box: o.Box, urls: o.URLs}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.cache == nil {
		s.cache = rediscache.New(nil, "", s.log)
	}
	if s.notify == nil {
		s.notify = func() {}
	}
	if s.now == nil {
		s.now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	return s
}

// write runs fn in one transaction, then wakes the relay and invalidates caches.
func (s *Service) write(ctx context.Context, principals bool, fn func(ctx context.Context, tx store.Tx) error) error {
	if err := s.commit(ctx, fn); err != nil {
		return err
	}
	// After the commit: a reader that raced the change stored its answer under the old
	// generation, which is never read again (pkg/rediscache).
	_ = s.cache.Invalidate(ctx, DirectoryNamespace)
	_ = s.cache.Invalidate(ctx, AccessNamespace)
	if principals {
		_ = s.cache.Invalidate(ctx, auth.PrincipalNamespace)
	}
	return nil
}

// writeAccesses is write for a transaction that changes accesses only (a request's effect):
// it keeps the cached resolutions that do not depend on accesses (a manager, an app's
// owners, the admins), so the next lifecycle's steps still find them in Redis.
func (s *Service) writeAccesses(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	if err := s.commit(ctx, fn); err != nil {
		return err
	}
	_ = s.cache.Invalidate(ctx, AccessNamespace)
	return nil
}

// commit runs fn in one transaction and wakes the relay.
func (s *Service) commit(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	if err := s.store.InTx(ctx, fn); err != nil {
		var domainErr *errs.Error
		if errors.Is(err, store.ErrConflict) && !errors.As(err, &domainErr) {
			// A version check lost to a concurrent writer (unique violations are mapped to
			// ALREADY_EXISTS where they can happen): the caller may read again and retry.
			return errs.Aborted("CONCURRENT_CHANGE", "changed concurrently by another call; read it again and retry").Wrap(err)
		}
		return err
	}
	s.notify()
	return nil
}

// caller returns the principal of the call and its subject for the permissions matrix.
func (s *Service) caller(ctx context.Context) (auth.Principal, authz.Subject, error) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return p, authz.Subject{}, errs.Unauthenticated("no caller")
	}
	if p.IsSystem() {
		return p, authz.Subject{UserID: p.UserID, Role: authz.RoleAdmin, Active: true}, nil
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return p, authz.Subject{}, errs.Unauthenticated("the caller is not in the directory")
	}
	if err != nil {
		return p, authz.Subject{}, err
	}
	return p, subjectOf(u), nil
}

func subjectOf(u domain.User) authz.Subject {
	r, _ := authz.ParseRole(string(u.Role))
	return authz.Subject{UserID: u.ID, Role: r, Active: u.Status == domain.UserActive}
}

// holdsGMSeat reports whether sub may act on the General Manager's seat (the GM's role,
// email and keys, who becomes GM): the General Manager, or the bootstrap admin (the
// operator's break-glass credential). Nobody else can take the seat.
func holdsGMSeat(sub authz.Subject) bool {
	return sub.Active && (sub.Role == authz.RoleGeneralManager || sub.UserID == BootstrapAdminID)
}

var isAdminOrGM = appkit.AdminOrGM

var deny = appkit.Deny

var newID = appkit.NewID
