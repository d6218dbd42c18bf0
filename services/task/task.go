package task

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/task/internal/app"
	"github.com/grantflow/grantflow/services/task/internal/grpcapi"
	"github.com/grantflow/grantflow/services/task/internal/store"
	"github.com/grantflow/grantflow/services/task/internal/store/memory"
	"github.com/grantflow/grantflow/services/task/internal/store/postgres"
)

// Kit is the task service as both its binary and the all-in-one process assemble it: it
// calls identity, delivers its outbox to audit and notification (every event) and request
// (outcomes), and receives identity's user events (a user's new manager).
var Kit = kit.Define(engines, func(env *kit.Env, d *kit.Deps) Options {
	return Options{Settings: env.Settings(), Identity: d.Identity(),
		AuditSink: d.Sink("audit"), RequestSink: d.Sink("request"), NotificationSink: d.Sink("notification")}
}, New)

// engines are the task service's stores: the memory engine, or PostgreSQL on its schema.
var engines = kit.NewEngines[store.Store](app.ServiceName, memory.New, postgres.Open, postgres.Schema)

// Options configure the task service.
type Options struct {
	kit.Settings
	// Identity is identity's internal client: the task service asks it whether the people of
	// a reassignment or a standalone task exist and are active. Required.
	Identity identityv1.IdentityInternalServiceClient
	// Sinks deliver the outbox: "audit" and "notification" (every event) and "request" (the
	// outcomes of tasks of a request: approved, declined, completed, auto_approved). Events
	// are always written for each; a sink left nil keeps its events in the outbox until one
	// is configured: delayed, never lost.
	AuditSink, RequestSink, NotificationSink outbox.Sink
}

// Service is a running task service.
type Service struct {
	*kit.Base
	app *app.Service
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Identity == nil {
		return nil, fmt.Errorf("task: Options.Identity is required")
	}
	return kit.Open(ctx, engines, o.Settings, func(p *kit.Parts[store.Store]) (*Service, error) {
		s := &Service{Base: p.Base}
		// Listen wakes WatchTasks' watchers on the changes of any process.
		s.Loops = []func(context.Context){p.Store.Listen}
		timers := kit.NewTimers[store.Tx](p, p.Store)
		p.PruneWatch(kit.Now(timers.Clock()), p.Store.PruneChanges)
		s.app = app.New(app.Options{Store: p.Store, Identity: o.Identity, Logger: p.Log, Notify: s.Notify, Now: kit.Now(timers.Clock())})
		s.app.HandleTimers(timers)
		return s, p.Relay(outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink}, outbox.Target{Name: app.SinkRequest, Sink: o.RequestSink},
			outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink})
	})
}

// Register puts the public and the internal task services on srv, and the
// EventSinkService that receives identity's user events (a user's new manager).
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	taskv1.RegisterTaskServiceServer(srv, &grpcapi.Public{App: s.app})
	taskv1.RegisterTaskInternalServiceServer(srv, &grpcapi.Internal{App: s.app})
	eventsv1.RegisterEventSinkServiceServer(srv, &grpcapi.Sink{App: s.app})
}
