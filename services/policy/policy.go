package policy

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"google.golang.org/grpc"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
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
	// AuditSink delivers the outbox ("audit": every event). Nil keeps the events in the
	// outbox until one is configured: delayed, never lost.
	AuditSink outbox.Sink
}

// Service is a running policy service.
type Service struct {
	app    *app.Service
	store  store.Store
	relays []*outbox.Relay
	log    *slog.Logger
}

// New opens the store (migrating PostgreSQL), assembles the service, seeds the system
// defaults that are missing and builds the resolution index.
func New(ctx context.Context, o Options) (*Service, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	var st store.Store
	if o.PostgresURL == "" {
		log.Warn("policy: memory engine: nothing survives a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
		st = memory.New()
	} else {
		pg, err := postgres.Open(ctx, o.PostgresURL)
		if err != nil {
			return nil, fmt.Errorf("policy store: %w", err)
		}
		st = pg
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
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Service{store: st, log: log}
	var dir app.Directory
	if o.Identity != nil {
		dir = directory.Identity{Client: o.Identity}
	}
	s.app = app.New(app.Options{Store: st, Directory: dir, Logger: log, Notify: s.notify})
	if o.AuditSink != nil {
		ro := outbox.RelayOptions{Name: app.SinkAudit, Store: st, Sink: o.AuditSink, Logger: log.With("relay", "policy->"+app.SinkAudit)}
		if l, ok := st.(interface {
			RelayLock(string) func(context.Context) (func(), bool, error)
		}); ok {
			ro.Lock = l.RelayLock(app.SinkAudit)
		}
		r, err := outbox.NewRelay(ro)
		if err != nil {
			return nil, err
		}
		s.relays = append(s.relays, r)
	}
	if err := s.app.SeedSystemDefaults(ctx); err != nil {
		return nil, fmt.Errorf("seed the system default policies: %w", err)
	}
	return s, nil
}

func (s *Service) notify() {
	for _, r := range s.relays {
		r.Notify()
	}
}

// Register puts the policy service on srv.
func (s *Service) Register(srv *grpc.Server) {
	policyv1.RegisterPolicyServiceServer(srv, &grpcapi.Server{App: s.app})
}

// RunRelays delivers the outbox until ctx ends, and returns when every relay stopped.
func (s *Service) RunRelays(ctx context.Context) {
	var wg sync.WaitGroup
	for _, r := range s.relays {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("policy relay stopped", "error", err.Error())
			}
		})
	}
	wg.Wait()
}

// Ping reports whether the store answers (readiness).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Close releases the store.
func (s *Service) Close() { s.store.Close() }
