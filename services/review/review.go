package review

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/grpcapi"
	"github.com/grantflow/grantflow/services/review/internal/store"
	"github.com/grantflow/grantflow/services/review/internal/store/memory"
	"github.com/grantflow/grantflow/services/review/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// Kit is the review service as both its binary and the all-in-one process assemble it: it
// calls identity (the snapshot, facts), request (open requests, the requests of decisions)
// and task (the reviewers' ACCESS_REVIEW tasks), delivers its outbox to audit and
// notification, and receives identity's and request's events (blocked items, the requests
// of decisions).
var Kit = kit.Service{Name: Name, New: kit.Assemble(options, New), Migrate: kit.Migrations(postgres.Schema.Options)}

func options(env *kit.Env, d *kit.Deps) Options {
	idConn := d.Conn("identity")
	return Options{
		Logger: env.Log, PostgresURL: env.Config.PostgresURL,
		Identity: identityv1.NewIdentityServiceClient(idConn), IdentityInternal: identityv1.NewIdentityInternalServiceClient(idConn),
		Requests: requestv1.NewRequestServiceClient(d.Conn("request")), Tasks: taskv1.NewTaskInternalServiceClient(d.Conn("task")),
		AuditSink: d.Sink("audit"), NotificationSink: d.Sink("notification"),
	}
}

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
	// Tasks opens and closes the reviewers' ACCESS_REVIEW tasks. Required.
	Tasks taskv1.TaskInternalServiceClient
	// AuditSink delivers the outbox to audit; nil keeps events in the outbox until one is
	// configured: delayed, never lost.
	AuditSink outbox.Sink
	// NotificationSink delivers every event to notification (webhooks); nil keeps them in
	// the outbox until one is set.
	NotificationSink outbox.Sink
	// Clock is the time of the service and its timers (the campaigns' reminders); default
	// the system's. Tests move their own.
	Clock timer.Clock
	// TimerPoll is how often the service looks for due timers (default 1 s).
	TimerPoll time.Duration
}

// Service is a running review service.
type Service struct {
	kit.Base
	app *app.Service
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	log := kit.Logger(o.Logger)
	if o.Identity == nil || o.IdentityInternal == nil || o.Requests == nil || o.Tasks == nil {
		return nil, fmt.Errorf("review: Options.Identity, IdentityInternal, Requests and Tasks are required")
	}
	st, err := kit.OpenStore[store.Store](ctx, log, Name, o.PostgresURL,
		func() store.Store { return memory.New() },
		func(ctx context.Context, url string) (store.Store, error) { return postgres.Open(ctx, url) })
	if err != nil {
		return nil, err
	}
	s := &Service{Base: kit.Base{Store: st, Internal: InternalOnly}}
	timers := kit.NewTimers[store.Tx](&s.Base, st, o.Clock, o.TimerPoll, log)
	s.app = app.New(app.Options{
		Store: st, Identity: o.Identity, IdentityInternal: o.IdentityInternal, Requests: o.Requests, Tasks: o.Tasks,
		Logger: log, Notify: s.Notify, Now: kit.Now(timers.Clock()),
	})
	s.app.HandleTimers(timers)
	if s.Relays, err = outbox.NewRelays(Name, st, log, outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink},
		outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink}, outbox.Target{Name: app.SinkWork, Sink: outbox.SinkFunc(s.app.Work)}); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// Register puts the review service on srv, and the EventSinkService that receives
// identity's and request's events.
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	reviewv1.RegisterReviewServiceServer(srv, &grpcapi.Public{App: s.app})
	reviewv1.RegisterReviewInternalServiceServer(srv, &grpcapi.Internal{App: s.app})
	eventsv1.RegisterEventSinkServiceServer(srv, &grpcapi.Sink{App: s.app})
}

// Sink delivers another service's outbox (identity's owners of apps, request's requests
// opened and closed) to the review service's EventSinkService at conn.
func Sink(conn grpc.ClientConnInterface) outbox.Sink {
	return outbox.GRPCSink(eventsv1.NewEventSinkServiceClient(conn), kit.Short(Name))
}

// InternalOnly reports the methods only other Grantflow services may call.
var InternalOnly = auth.MethodSet(
	"/"+reviewv1.ReviewInternalService_ServiceDesc.ServiceName+"/",
	"/"+eventsv1.EventSinkService_ServiceDesc.ServiceName+"/",
)
