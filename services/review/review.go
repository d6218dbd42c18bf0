package review

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/grpcapi"
	"github.com/grantflow/grantflow/services/review/internal/store"
	"github.com/grantflow/grantflow/services/review/internal/store/memory"
	"github.com/grantflow/grantflow/services/review/internal/store/postgres"
)

// Kit is the review service as both its binary and the all-in-one process assemble it: it
// calls identity (the snapshot, facts), request (open requests, the requests of decisions)
// and task (the reviewers' ACCESS_REVIEW tasks), delivers its outbox to audit and
// notification, and receives identity's and request's events (blocked items, the requests
// of decisions).
var Kit = kit.Define(engines, func(env *kit.Env, d *kit.Deps) Options {
	return Options{
		Settings: env.Settings(), AuditSink: d.Sink("audit"), NotificationSink: d.Sink("notification"),
		Identity: identityv1.NewIdentityServiceClient(d.Conn("identity")), IdentityInternal: d.Identity(),
		Requests: requestv1.NewRequestServiceClient(d.Conn("request")), Tasks: taskv1.NewTaskInternalServiceClient(d.Conn("task")),
	}
}, New)

// engines are the review service's stores: the memory engine, or PostgreSQL on its schema.
var engines = kit.NewEngines[store.Store](app.ServiceName, memory.New, postgres.Open, postgres.Schema)

// Options configure the review service.
type Options struct {
	kit.Settings
	// Identity (public API: the snapshot of accesses, the apps) and IdentityInternal (facts,
	// the admins). Required.
	Identity         identityv1.IdentityServiceClient
	IdentityInternal identityv1.IdentityInternalServiceClient
	// Requests lists open requests and opens the requests of decisions. Required.
	Requests requestv1.RequestServiceClient
	// Tasks opens and closes the reviewers' ACCESS_REVIEW tasks. Required.
	Tasks taskv1.TaskInternalServiceClient
	// AuditSink delivers the outbox to audit; nil keeps events in the outbox until one is
	// configured: delayed, never lost.
	AuditSink outbox.Sink
	// NotificationSink delivers every event to notification (webhooks); nil keeps them in
	// the outbox until one is set.
	NotificationSink outbox.Sink
}

// Service is a running review service.
type Service struct {
	*kit.Base
	app *app.Service
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Identity == nil || o.IdentityInternal == nil || o.Requests == nil || o.Tasks == nil {
		return nil, fmt.Errorf("review: Options.Identity, IdentityInternal, Requests and Tasks are required")
	}
	return kit.Open(ctx, engines, o.Settings, func(p *kit.Parts[store.Store]) (*Service, error) {
		s := &Service{Base: p.Base}
		timers := kit.NewTimers[store.Tx](p, p.Store)
		s.app = app.New(app.Options{
			Store: p.Store, Identity: o.Identity, IdentityInternal: o.IdentityInternal, Requests: o.Requests, Tasks: o.Tasks,
			Logger: p.Log, Notify: s.Notify, Now: kit.Now(timers.Clock()),
		})
		s.app.HandleTimers(timers)
		return s, p.Relay(outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink}, outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink},
			outbox.Target{Name: app.SinkWork, Sink: outbox.SinkFunc(s.app.Work)})
	})
}

// Register puts the review service on srv, and the EventSinkService that receives
// identity's and request's events.
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	reviewv1.RegisterReviewServiceServer(srv, &grpcapi.Public{App: s.app})
	reviewv1.RegisterReviewInternalServiceServer(srv, &grpcapi.Internal{App: s.app})
	eventsv1.RegisterEventSinkServiceServer(srv, &grpcapi.Sink{App: s.app})
}
