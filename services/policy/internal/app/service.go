package app

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/policy/internal/resolver"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// ServiceName is this service's name in events and traces.
const ServiceName = "grantflow-policy"

// The outbox sinks of every event: audit, and notification (webhooks).
const (
	SinkAudit        = "audit"
	SinkNotification = "notification"
)

// Options configure the service.
type Options struct {
	Store store.Store
	// Directory confirms apps, groups and users; nil refuses writes that name any.
	Directory Directory
	Logger    *slog.Logger
	// Notify is called after a commit that appended outbox events (wakes the relay).
	Notify func()
	Now    func() time.Time
}

// Service implements the policy API.
type Service struct {
	store    store.Store
	dir      Directory
	resolver *resolver.Resolver
	log      *slog.Logger
	notify   func()
	now      func() time.Time
}

// New returns the service.
func New(o Options) *Service {
	s := &Service{store: o.Store, dir: o.Directory, log: o.Logger, notify: o.Notify, now: o.Now}
	s.log, s.notify, s.now = appkit.Defaults(s.log, s.notify, s.now)
	s.resolver = resolver.New(o.Store, s.log)
	return s
}

// Resolver is the service's resolution index (for warming and for its stats).
func (s *Service) Resolver() *resolver.Resolver { return s.resolver }

// write runs fn in one transaction, then wakes the relay.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	if err := s.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		// Policy writes are administrators' and rare: one at a time keeps overlap checks,
		// version numbers and activations race-free, and events in commit order.
		if err := tx.LockPolicies(ctx); err != nil {
			return err
		}
		return fn(ctx, tx)
	}); err != nil {
		return err
	}
	s.notify()
	return nil
}

// manager authorizes a change of policies: Admin and GM only.
func (s *Service) manager(ctx context.Context) (string, error) {
	_, sub, err := auth.Caller(ctx)
	if err != nil {
		return "", err
	}
	if d := authz.CanManagePolicies(sub); !d.Allowed {
		return "", errs.PermissionDenied("only Admins and the General Manager change policies: " + d.Reason)
	}
	return sub.UserID, nil
}

var newID = appkit.NewID

func versionName(policyID string, n int64) string {
	return policyID + "/versions/" + strconv.FormatInt(n, 10)
}
