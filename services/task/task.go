package task

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"google.golang.org/grpc"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/task/internal/app"
	"github.com/grantflow/grantflow/services/task/internal/grpcapi"
	"github.com/grantflow/grantflow/services/task/internal/store"
	"github.com/grantflow/grantflow/services/task/internal/store/memory"
	"github.com/grantflow/grantflow/services/task/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// Options configure the task service.
type Options struct {
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
	// Identity is identity's internal client: the task service asks it whether the people of
	// a reassignment or a standalone task exist and are active. Required.
	Identity identityv1.IdentityInternalServiceClient
	// Sinks deliver the outbox: "audit" (every event) and "request" (the outcomes of tasks
	// of a request: approved, declined, completed, auto_approved). Events are always written
	// for both; a sink left nil keeps its events in the outbox until one is configured:
	// delayed, never lost.
	AuditSink, RequestSink outbox.Sink
}

// Service is a running task service.
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
	if o.Identity == nil {
		return nil, fmt.Errorf("task: Options.Identity is required")
	}
	var st store.Store
	if o.PostgresURL == "" {
		log.Warn("task: memory engine: nothing survives a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
		st = memory.New()
	} else {
		pg, err := postgres.Open(ctx, o.PostgresURL)
		if err != nil {
			return nil, err
		}
		st = pg
	}
	s := &Service{store: st, log: log}
	s.app = app.New(app.Options{Store: st, Identity: o.Identity, Logger: log, Notify: s.notify})
	for _, sink := range []struct {
		name string
		to   outbox.Sink
	}{{app.SinkAudit, o.AuditSink}, {app.SinkRequest, o.RequestSink}} {
		if sink.to == nil {
			log.Warn("task: no sink for outbox events: they wait in the outbox", "sink", sink.name)
			continue
		}
		ro := outbox.RelayOptions{Name: sink.name, Store: st, Sink: sink.to, Logger: log.With("relay", "task->"+sink.name)}
		if l, ok := st.(interface {
			RelayLock(string) func(context.Context) (func(), bool, error)
		}); ok {
			ro.Lock = l.RelayLock(sink.name)
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

// Register puts the public and the internal task services on srv.
func (s *Service) Register(srv *grpc.Server) {
	taskv1.RegisterTaskServiceServer(srv, &grpcapi.Public{App: s.app})
	taskv1.RegisterTaskInternalServiceServer(srv, &grpcapi.Internal{App: s.app})
}

// InternalOnly reports the methods only other Grantflow services may call.
var InternalOnly = auth.MethodSet("/" + taskv1.TaskInternalService_ServiceDesc.ServiceName + "/")

// RunRelays delivers the outbox until ctx ends, and returns when every relay stopped.
func (s *Service) RunRelays(ctx context.Context) {
	var wg sync.WaitGroup
	for _, r := range s.relays {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("task relay stopped", "error", err.Error())
			}
		})
	}
	wg.Wait()
}

// Ping reports whether the store answers (readiness).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Close releases the store.
func (s *Service) Close() { s.store.Close() }
