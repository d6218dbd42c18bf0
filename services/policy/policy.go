package policy

import (
	"context"
	"fmt"

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

// Kit is the policy service as both its binary and the all-in-one process assemble it: it
// asks identity about what policies name and delivers its outbox to audit.
var Kit = kit.Define(engines, func(env *kit.Env, d *kit.Deps) Options {
	return Options{Settings: env.Settings(), Cache: env.Cache("gf:policy:"), Identity: d.Identity(),
		AuditSink: d.Sink("audit"), NotificationSink: d.Sink("notification")}
}, New)

// engines are the policy service's stores: the memory engine, or PostgreSQL on its schema.
var engines = kit.NewEngines[store.Store](app.ServiceName, memory.New, postgres.Open, postgres.Schema)

// Options configure the policy service.
type Options struct {
	kit.Settings
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
	*kit.Base
	app *app.Service
}

// New opens the store (migrating PostgreSQL), assembles the service, seeds the system
// defaults that are missing and builds the resolution index.
func New(ctx context.Context, o Options) (*Service, error) {
	return kit.Open(ctx, engines, o.Settings, func(p *kit.Parts[store.Store]) (*Service, error) {
		return build(ctx, o, p)
	})
}

// newService assembles the service on st (which it does not close on failure).
func newService(ctx context.Context, o Options, st store.Store) (*Service, error) {
	return build(ctx, o, engines.On(st, o.Settings))
}

func build(ctx context.Context, o Options, p *kit.Parts[store.Store]) (*Service, error) {
	s := &Service{Base: p.Base}
	var dir app.Directory
	if o.Identity != nil {
		dir = directory.Identity{Client: o.Identity}
	}
	s.app = app.New(app.Options{Store: p.Store, Directory: dir, Logger: p.Log, Notify: s.Notify})
	if err := p.Relay(outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink}, outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink}); err != nil {
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
