// Package request is the request service: it owns requests and orchestrates each one
// through its pinned policy version (review steps in order, the action step, the effect
// applied through identity). See README.md.
package request

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/request/internal/app"
	"github.com/grantflow/grantflow/services/request/internal/connector"
	"github.com/grantflow/grantflow/services/request/internal/grpcapi"
	"github.com/grantflow/grantflow/services/request/internal/store"
	"github.com/grantflow/grantflow/services/request/internal/store/memory"
	"github.com/grantflow/grantflow/services/request/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// Options configure the request service.
type Options struct {
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
	// The services the request service calls. Required.
	Identity   identityv1.IdentityInternalServiceClient
	Policy     policyv1.PolicyServiceClient
	Tasks      taskv1.TaskInternalServiceClient
	TaskPublic taskv1.TaskServiceClient
	// AuditSink receives every event (nil: they wait in the outbox until one is set).
	AuditSink outbox.Sink
	// Getenv reads the agent's connector settings (GRANTFLOW_AGENT_WEBHOOKS,
	// GRANTFLOW_AGENT_WEBHOOK_SECRET); nil reads none: every app uses the directory connector.
	Getenv func(string) string
}

// Service is a running request service.
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
	if o.Identity == nil || o.Policy == nil || o.Tasks == nil || o.TaskPublic == nil {
		return nil, fmt.Errorf("request: Options.Identity, Policy, Tasks and TaskPublic are required")
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	connectors, err := connector.FromEnv(getenv)
	if err != nil {
		return nil, err
	}
	var st store.Store
	if o.PostgresURL == "" {
		log.Warn("request: memory engine: nothing survives a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
		st = memory.New()
	} else {
		pg, err := postgres.Open(ctx, o.PostgresURL)
		if err != nil {
			return nil, err
		}
		st = pg
	}
	s := &Service{store: st, log: log}
	s.app = app.New(app.Options{Store: st, Identity: o.Identity, Policy: o.Policy, Tasks: o.Tasks, TaskPublic: o.TaskPublic,
		Connectors: connectors, Logger: log, Notify: s.notify})
	sinks := []struct {
		name string
		to   outbox.Sink
	}{{app.SinkAudit, o.AuditSink}, {app.SinkWork, outbox.SinkFunc(s.app.Work)}}
	for _, sink := range sinks {
		if sink.to == nil {
			log.Warn("request: no sink for outbox events: they wait in the outbox", "sink", sink.name)
			continue
		}
		ro := outbox.RelayOptions{Name: sink.name, Store: st, Sink: sink.to, Logger: log.With("relay", "request->"+sink.name)}
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

// Register puts the public and the internal request services on srv.
func (s *Service) Register(srv *grpc.Server) {
	requestv1.RegisterRequestServiceServer(srv, &grpcapi.Public{App: s.app})
	requestv1.RegisterRequestInternalServiceServer(srv, &grpcapi.Internal{App: s.app})
}

// RegisterEventSink also serves the generic grantflow.events.v1.EventSinkService on srv
// (the same handler as RequestInternalService.DeliverEvents), for a process of its own
// whose peers deliver through outbox.GRPCSink. Not in the all-in-one process, where the
// audit service may serve it.
func (s *Service) RegisterEventSink(srv *grpc.Server) {
	eventsv1.RegisterEventSinkServiceServer(srv, &grpcapi.Internal{App: s.app})
}

// InternalOnly reports the methods only other Grantflow services may call.
var InternalOnly = auth.MethodSet(
	"/"+requestv1.RequestInternalService_ServiceDesc.ServiceName+"/",
	"/"+eventsv1.EventSinkService_ServiceDesc.ServiceName+"/",
)

// Sink delivers another service's outbox (task outcomes, identity's onboarding and
// offboarding) to the request service at conn.
func Sink(conn grpc.ClientConnInterface) outbox.Sink {
	client := requestv1.NewRequestInternalServiceClient(conn)
	return outbox.SinkFunc(func(ctx context.Context, events []*eventsv1.Event) error {
		_, err := client.DeliverEvents(ctx, &eventsv1.DeliverEventsRequest{Events: events})
		return err
	})
}

// RunRelays delivers the outbox (audit, and the service's own work queue) until ctx ends,
// and returns when every relay stopped.
func (s *Service) RunRelays(ctx context.Context) {
	var wg sync.WaitGroup
	for _, r := range s.relays {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("request relay stopped", "error", err.Error())
			}
		})
	}
	wg.Wait()
}

// Ping reports whether the store answers (readiness).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Close releases the store.
func (s *Service) Close() { s.store.Close() }
