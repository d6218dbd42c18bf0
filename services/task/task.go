package task

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/task/internal/app"
	"github.com/grantflow/grantflow/services/task/internal/grpcapi"
	"github.com/grantflow/grantflow/services/task/internal/store"
	"github.com/grantflow/grantflow/services/task/internal/store/memory"
	"github.com/grantflow/grantflow/services/task/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// Kit is the task service as both its binary and the all-in-one process assemble it: it
// calls identity, delivers its outbox to audit and notification (every event) and request
// (outcomes), and receives identity's user events (a user's new manager).
var Kit = kit.Service{Name: Name, New: kit.Assemble(options, New), Migrate: kit.Migrations(postgres.Schema.Options)}

func options(env *kit.Env, d *kit.Deps) Options {
	return Options{Logger: env.Log, PostgresURL: env.Config.PostgresURL, Identity: d.Identity(),
		AuditSink: d.Sink("audit"), RequestSink: d.Sink("request"), NotificationSink: d.Sink("notification")}
}

// Options configure the task service.
type Options struct {
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
	// Identity is identity's internal client: the task service asks it whether the people of
	// a reassignment or a standalone task exist and are active. Required.
	Identity identityv1.IdentityInternalServiceClient
	// Sinks deliver the outbox: "audit" and "notification" (every event) and "request" (the
	// outcomes of tasks of a request: approved, declined, completed, auto_approved). Events
	// are always written for each; a sink left nil keeps its events in the outbox until one
	// is configured: delayed, never lost.
	AuditSink, RequestSink, NotificationSink outbox.Sink
	// Clock is the time of the service and its timers (due dates, escalations); default
	// the system's. Tests move their own.
	Clock timer.Clock
	// TimerPoll is how often the service looks for due timers (default 1 s).
	TimerPoll time.Duration
}

// Service is a running task service.
type Service struct {
	kit.Base
	app *app.Service
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	log := kit.Logger(o.Logger)
	if o.Identity == nil {
		return nil, fmt.Errorf("task: Options.Identity is required")
	}
	st, err := kit.OpenStore[store.Store](ctx, log, Name, o.PostgresURL,
		func() store.Store { return memory.New() },
		func(ctx context.Context, url string) (store.Store, error) { return postgres.Open(ctx, url) })
	if err != nil {
		return nil, err
	}
	// Listen wakes WatchTasks' watchers on the changes of any process.
	s := &Service{Base: kit.Base{Store: st, Internal: InternalOnly, Loops: []func(context.Context){st.Listen}}}
	timers := kit.NewTimers[store.Tx](&s.Base, st, o.Clock, o.TimerPoll, log)
	s.app = app.New(app.Options{Store: st, Identity: o.Identity, Logger: log, Notify: s.Notify, Now: kit.Now(timers.Clock())})
	s.app.HandleTimers(timers)
	if s.Relays, err = outbox.NewRelays(Name, st, log,
		outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink}, outbox.Target{Name: app.SinkRequest, Sink: o.RequestSink},
		outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink}); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// Register puts the public and the internal task services on srv, and the
// EventSinkService that receives identity's user events (a user's new manager).
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	taskv1.RegisterTaskServiceServer(srv, &grpcapi.Public{App: s.app})
	taskv1.RegisterTaskInternalServiceServer(srv, &grpcapi.Internal{App: s.app})
	eventsv1.RegisterEventSinkServiceServer(srv, &grpcapi.Sink{App: s.app})
}

// InternalOnly reports the methods only other Grantflow services may call.
var InternalOnly = auth.MethodSet(
	"/"+taskv1.TaskInternalService_ServiceDesc.ServiceName+"/",
	"/"+eventsv1.EventSinkService_ServiceDesc.ServiceName+"/",
)
