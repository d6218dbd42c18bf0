package request

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/request/internal/app"
	"github.com/grantflow/grantflow/services/request/internal/connector"
	"github.com/grantflow/grantflow/services/request/internal/grpcapi"
	"github.com/grantflow/grantflow/services/request/internal/store"
	"github.com/grantflow/grantflow/services/request/internal/store/memory"
	"github.com/grantflow/grantflow/services/request/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// Kit is the request service as both its binary and the all-in-one process assemble it:
// it calls identity, policy and task, delivers its outbox to audit, and receives the
// events of task and identity.
var Kit = kit.Service{Name: Name, New: kit.Assemble(options, New), Migrate: kit.Migrations(postgres.Schema.Options)}

func options(env *kit.Env, d *kit.Deps) Options {
	taskConn := d.Conn("task")
	return Options{Logger: env.Log, PostgresURL: env.Config.PostgresURL, Identity: d.Identity(),
		Policy: policyv1.NewPolicyServiceClient(d.Conn("policy")), Tasks: taskv1.NewTaskInternalServiceClient(taskConn),
		TaskPublic: taskv1.NewTaskServiceClient(taskConn), Reviews: reviewv1.NewReviewInternalServiceClient(d.Conn("review")),
		AuditSink: d.Sink("audit"), NotificationSink: d.Sink("notification"), ReviewSink: d.Sink("review"),
		Getenv: env.Getenv, WebhookAllowPrivate: env.Config.WebhookAllowPrivate,
	}
}

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
	// Reviews verifies the origin of a request a review's decision opens; nil refuses every
	// such origin.
	Reviews reviewv1.ReviewInternalServiceClient
	// AuditSink and NotificationSink receive every event (nil: they wait in the outbox
	// until one is set).
	AuditSink, NotificationSink outbox.Sink
	// WebhookAllowPrivate lets connectors reach loopback, private and link-local addresses
	// over http too (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE): development and tests only.
	WebhookAllowPrivate bool
	// ConnectorClient, when set, replaces the connectors' guarded HTTP client (tests).
	ConnectorClient *http.Client
	// ReviewSink receives requests' opening and closing (the review service's blocked
	// items and the requests of its decisions); nil writes none for it.
	ReviewSink outbox.Sink
	// Getenv reads the agent's deprecated connector settings (GRANTFLOW_AGENT_WEBHOOKS,
	// GRANTFLOW_AGENT_WEBHOOK_SECRET); nil reads none: every app uses the directory connector.
	Getenv func(string) string
	// Clock is the time of the service and its timers (expiring access); default the
	// system's. Tests move their own.
	Clock timer.Clock
	// TimerPoll is how often the service looks for due timers (default 1 s).
	TimerPoll time.Duration
}

// Service is a running request service.
type Service struct {
	kit.Base
	app *app.Service
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	log := kit.Logger(o.Logger)
	if o.Identity == nil || o.Policy == nil || o.Tasks == nil || o.TaskPublic == nil {
		return nil, fmt.Errorf("request: Options.Identity, Policy, Tasks and TaskPublic are required")
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	connectors, err := connector.FromEnv(getenv, o.WebhookAllowPrivate)
	if err != nil {
		return nil, err
	}
	if getenv("GRANTFLOW_AGENT_WEBHOOKS") != "" {
		log.Warn("GRANTFLOW_AGENT_WEBHOOKS is deprecated: set each app's connector with PUT /v1/apps/{id}/connector (an app's own connector wins)")
	}
	connectors.WithLookup(identityConnectors(o.Identity), connector.Webhook{AllowPrivate: o.WebhookAllowPrivate, Client: o.ConnectorClient})
	st, err := kit.OpenStore[store.Store](ctx, log, Name, o.PostgresURL,
		func() store.Store { return memory.New() },
		func(ctx context.Context, url string) (store.Store, error) { return postgres.Open(ctx, url) })
	if err != nil {
		return nil, err
	}
	// Listen wakes WatchRequest's watchers on the changes of any process.
	s := &Service{Base: kit.Base{Store: st, Internal: InternalOnly, Loops: []func(context.Context){st.Listen}}}
	timers := kit.NewTimers[store.Tx](&s.Base, st, o.Clock, o.TimerPoll, log)
	s.app = app.New(app.Options{Store: st, Identity: o.Identity, Policy: o.Policy, Tasks: o.Tasks, TaskPublic: o.TaskPublic, Reviews: o.Reviews,
		Connectors: connectors, Logger: log, Notify: s.Notify, ToReview: o.ReviewSink != nil, Now: kit.Now(timers.Clock())})
	s.app.HandleTimers(timers)
	if s.Relays, err = outbox.NewRelays(Name, st, log,
		outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink}, outbox.Target{Name: app.SinkWork, Sink: outbox.SinkFunc(s.app.Work)},
		outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink}, outbox.Target{Name: app.SinkReview, Sink: o.ReviewSink}); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// Register puts the public and the internal request services on srv, and the
// EventSinkService that receives task outcomes and identity's triggers.
// (RequestInternalService.DeliverEvents, the same handler, is deprecated.)
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	internal := &grpcapi.Internal{App: s.app}
	requestv1.RegisterRequestServiceServer(srv, &grpcapi.Public{App: s.app})
	requestv1.RegisterRequestInternalServiceServer(srv, internal)
	eventsv1.RegisterEventSinkServiceServer(srv, internal)
}

// InternalOnly reports the methods only other Grantflow services may call.
var InternalOnly = auth.MethodSet(
	"/"+requestv1.RequestInternalService_ServiceDesc.ServiceName+"/",
	"/"+eventsv1.EventSinkService_ServiceDesc.ServiceName+"/",
)

// Sink delivers another service's outbox (task outcomes, identity's onboarding and
// offboarding) to the request service's EventSinkService at conn.
func Sink(conn grpc.ClientConnInterface) outbox.Sink {
	return outbox.GRPCSink(eventsv1.NewEventSinkServiceClient(conn), kit.Short(Name))
}

// identityConnectors looks an app's connector up in identity (the secret decrypted there),
// at every action: a connector set or changed through the API is used without a restart.
func identityConnectors(id identityv1.IdentityInternalServiceClient) connector.Lookup {
	return func(ctx context.Context, appID string) (string, []byte, bool, error) {
		res, err := id.GetAppConnectorSecret(ctx, &identityv1.GetAppConnectorSecretRequest{AppId: appID})
		switch status.Code(err) {
		case codes.OK:
			return res.GetUrl(), res.GetSecret(), true, nil
		case codes.NotFound:
			return "", nil, false, nil
		}
		return "", nil, false, err
	}
}
