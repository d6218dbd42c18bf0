package review

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"google.golang.org/grpc"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/grpcapi"
	"github.com/grantflow/grantflow/services/review/internal/store"
	"github.com/grantflow/grantflow/services/review/internal/store/memory"
	"github.com/grantflow/grantflow/services/review/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// Options configure the review service.
type Options struct {
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
	// Identity (public API: the snapshot of accesses, the apps) and IdentityInternal (facts,
	// the admins). Required.
	Identity         identityv1.IdentityServiceClient
	IdentityInternal identityv1.IdentityInternalServiceClient
	// Requests lists open requests and opens the requests of decisions. Required.
	Requests requestv1.RequestServiceClient
	// AuditSink delivers the outbox to audit; nil keeps events in the outbox until one is
	// configured: delayed, never lost.
	AuditSink outbox.Sink
}

// Service is a running review service.
type Service struct {
	app    *app.Service
	store  store.Store
	relays []*outbox.Relay
	log    *slog.Logger
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.Identity == nil || o.IdentityInternal == nil || o.Requests == nil {
		return nil, fmt.Errorf("review: Options.Identity, IdentityInternal and Requests are required")
	}
	var st store.Store
	if o.PostgresURL == "" {
		log.Warn("review: memory engine: nothing survives a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
		st = memory.New()
	} else {
		pg, err := postgres.Open(ctx, o.PostgresURL)
		if err != nil {
			return nil, err
		}
		st = pg
	}
	s := &Service{store: st, log: log}
	s.app = app.New(app.Options{
		Store: st, Identity: o.Identity, IdentityInternal: o.IdentityInternal, Requests: o.Requests,
		Logger: log, Notify: s.notify,
	})
	if o.AuditSink == nil {
		log.Warn("review: no sink for outbox events: they wait in the outbox", "sink", app.SinkAudit)
	} else {
		ro := outbox.RelayOptions{Name: app.SinkAudit, Store: st, Sink: o.AuditSink, Logger: log.With("relay", "review->audit")}
		if l, ok := st.(interface {
			RelayLock(string) func(context.Context) (func(), bool, error)
		}); ok {
			ro.Lock = l.RelayLock(app.SinkAudit)
		}
		r, err := outbox.NewRelay(ro)
		if err != nil {
			st.Close()
			return nil, err
		}
		s.relays = append(s.relays, r)
	}
	return s, nil
}

func (s *Service) notify() {
	for _, r := range s.relays {
		r.Notify()
	}
}

// Register puts the review service on srv.
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	reviewv1.RegisterReviewServiceServer(srv, &grpcapi.Public{App: s.app})
}

// InternalOnly reports the methods only other Grantflow services may call: none of its own.
func (s *Service) InternalOnly(string) bool { return false }

// Run delivers the outbox until ctx ends, and returns when every relay stopped.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, r := range s.relays {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("review relay stopped", "error", err.Error())
			}
		})
	}
	wg.Wait()
}

// Ping reports whether the store answers (readiness).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Close releases the store.
func (s *Service) Close() { s.store.Close() }
