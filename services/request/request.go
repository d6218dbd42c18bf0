package request

import (
	"context"
	"fmt"
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
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/request/internal/app"
	"github.com/grantflow/grantflow/services/request/internal/connector"
	"github.com/grantflow/grantflow/services/request/internal/grpcapi"
	"github.com/grantflow/grantflow/services/request/internal/store"
	"github.com/grantflow/grantflow/services/request/internal/store/memory"
	"github.com/grantflow/grantflow/services/request/internal/store/postgres"
)

// Kit is the request service as both its binary and the all-in-one process assemble it:
// it calls identity, policy and task, delivers its outbox to audit, and receives the
// events of task and identity.
var Kit = kit.Define(engines, func(env *kit.Env, d *kit.Deps) Options {
	taskConn := d.Conn("task")
	return Options{Settings: env.Settings(), Identity: d.Identity(),
		Policy: policyv1.NewPolicyServiceClient(d.Conn("policy")), Tasks: taskv1.NewTaskInternalServiceClient(taskConn),
		TaskPublic: taskv1.NewTaskServiceClient(taskConn), Reviews: reviewv1.NewReviewInternalServiceClient(d.Conn("review")),
		AuditSink: d.Sink("audit"), NotificationSink: d.Sink("notification"), ReviewSink: d.Sink("review"),
		Getenv: env.Getenv, WebhookAllowPrivate: env.Config.WebhookAllowPrivate,
	}
}, New)

// engines are the request service's stores: the memory engine, or PostgreSQL on its schema.
var engines = kit.NewEngines[store.Store](app.ServiceName, memory.New, postgres.Open, postgres.Schema)

// Options configure the request service.
type Options struct {
	kit.Settings
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
	// IngestAttempts and IngestWindow bound the retries of an incoming event that keeps
	// failing (not for a dependency being down): given up on, acknowledged and recorded once
	// it failed that often over that long (0: 10 attempts, 5 minutes; see README.md).
	IngestAttempts int
	IngestWindow   time.Duration
}

// Service is a running request service.
type Service struct {
	*kit.Base
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
	return kit.Open(ctx, engines, o.Settings, func(p *kit.Parts[store.Store]) (*Service, error) {
		s := &Service{Base: p.Base}
		// Listen wakes WatchRequest's watchers on the changes of any process.
		s.Loops = []func(context.Context){p.Store.Listen}
		timers := kit.NewTimers[store.Tx](p, p.Store)
		p.PruneWatch(kit.Now(timers.Clock()), p.Store.PruneChanges)
		s.app = app.New(app.Options{Store: p.Store, Identity: o.Identity, Policy: o.Policy, Tasks: o.Tasks, TaskPublic: o.TaskPublic, Reviews: o.Reviews,
			Connectors: connectors, Logger: log, Notify: s.Notify, ToReview: o.ReviewSink != nil, Now: kit.Now(timers.Clock()),
			IngestAttempts: o.IngestAttempts, IngestWindow: o.IngestWindow})
		s.app.HandleTimers(timers)
		return s, p.Relay(outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink}, outbox.Target{Name: app.SinkWork, Sink: outbox.SinkFunc(s.app.Work)},
			outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink}, outbox.Target{Name: app.SinkReview, Sink: o.ReviewSink})
	})
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
