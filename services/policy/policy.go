package policy

import (
	"context"
	"fmt"
	"log/slog"

	"google.golang.org/grpc"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/services/policy/internal/app"
	"github.com/grantflow/grantflow/services/policy/internal/directory"
	"github.com/grantflow/grantflow/services/policy/internal/grpcapi"
	"github.com/grantflow/grantflow/services/policy/internal/store"
	"github.com/grantflow/grantflow/services/policy/internal/store/memory"
	"github.com/grantflow/grantflow/services/policy/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// Kit is the policy service as both its binary and the all-in-one process assemble it: it
// asks identity about what policies name and delivers its outbox to audit.
var Kit = kit.Service{Name: Name, New: kit.Assemble(options, New), Migrate: kit.Migrations(postgres.Schema.Options)}

func options(env *kit.Env, d *kit.Deps) Options {
	return Options{Logger: env.Log, PostgresURL: env.Config.PostgresURL, Cache: env.Cache("gf:policy:"), Identity: d.Identity(),
		AuditSink: d.Sink("audit"), NotificationSink: d.Sink("notification")}
}

// Options configure the policy service.
type Options struct {
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
	// Cache is accepted for symmetry with the other services and kept for later use; the
	// policy service needs no Redis: resolution freshness rides on the store's index
	// generation (see the README), which Redis could only approximate. May be nil.
	Cache *rediscache.Cache
	// Identity checks the apps, groups and users that policies name. Nil refuses writes
	// that name any (UNAVAILABLE); reads and resolution never need it.
	Identity identityv1.IdentityInternalServiceClient
	// AuditSink and NotificationSink deliver the outbox (every event to each). Nil keeps
	// the events in the outbox until one is configured: delayed, never lost.
	AuditSink, NotificationSink outbox.Sink
}

// Service is a running policy service.
type Service struct {
	kit.Base
	app *app.Service
}

// New opens the store (migrating PostgreSQL), assembles the service, seeds the system
// defaults that are missing and builds the resolution index.
func New(ctx context.Context, o Options) (*Service, error) {
	st, err := kit.OpenStore[store.Store](ctx, kit.Logger(o.Logger), Name, o.PostgresURL,
		func() store.Store { return memory.New() },
		func(ctx context.Context, url string) (store.Store, error) { return postgres.Open(ctx, url) })
	if err != nil {
		return nil, err
	}
	s, err := newService(ctx, o, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// newService assembles the service on st (which it does not close on failure).
func newService(ctx context.Context, o Options, st store.Store) (*Service, error) {
	log := kit.Logger(o.Logger)
	s := &Service{Base: kit.Base{Store: st}}
	var dir app.Directory
	if o.Identity != nil {
		dir = directory.Identity{Client: o.Identity}
	}
	s.app = app.New(app.Options{Store: st, Directory: dir, Logger: log, Notify: s.Notify})
	var err error
	if s.Relays, err = outbox.NewRelays(Name, st, log, outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink},
		outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink}); err != nil {
		return nil, err
	}
	if err := s.app.SeedSystemDefaults(ctx); err != nil {
		return nil, fmt.Errorf("seed the system default policies: %w", err)
	}
	return s, nil
}

// Register puts the policy service on srv.
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	policyv1.RegisterPolicyServiceServer(srv, &grpcapi.Public{App: s.app})
}
