package notification

import (
	"context"
	"fmt"
	"go.opentelemetry.io/otel/metric"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/notification/internal/app"
	"github.com/grantflow/grantflow/services/notification/internal/grpcapi"
	"github.com/grantflow/grantflow/services/notification/internal/store"
	"github.com/grantflow/grantflow/services/notification/internal/store/memory"
	"github.com/grantflow/grantflow/services/notification/internal/store/postgres"
	"github.com/grantflow/grantflow/services/notification/internal/webhook"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// AllowPrivateEnv lifts the webhook address rules and the https-only rule when it is "1"
// (development and tests).
const AllowPrivateEnv = "GRANTFLOW_WEBHOOK_ALLOW_PRIVATE"

// Retry is the schedule of a delivery's attempts (DefaultRetry: 25 hours).
type Retry = webhook.Retry

// DefaultRetry is the production schedule.
func DefaultRetry() Retry { return webhook.DefaultRetry() }

// Kit is the notification service as both its binary and the all-in-one process assemble
// it: it receives every service's events (each service's outbox has a "notification" sink)
// and sends webhooks with the settings of the config (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE,
// GRANTFLOW_WEBHOOK_LEASE). It calls no other service.
var Kit = kit.Service{Name: Name, New: assemble, Migrate: kit.Migrations(postgres.Options)}

func assemble(ctx context.Context, env *kit.Env) (kit.Module, error) {
	c := env.Config
	return New(ctx, Options{Logger: env.Log, PostgresURL: c.PostgresURL, AllowPrivate: c.WebhookAllowPrivate, Lease: c.WebhookLease, Retention: c.WebhookRetention})
}

// Options configure the notification service.
type Options struct {
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
	// AllowPrivate lifts the webhook address rules and the https-only rule
	// (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1).
	AllowPrivate bool
	// Retry overrides the retry schedule (tests); zero is DefaultRetry.
	Retry Retry
	// Timeout bounds one delivery attempt (default 10s).
	Timeout time.Duration
	// Workers is how many deliveries are sent at once (default 32).
	Workers int
	// Poll bounds the dispatcher's sleep between looks at the queue (default 1s).
	Poll time.Duration
	// Lease is how long an attempt keeps its delivery from other dispatchers (default 1m).
	Lease time.Duration
	// Retention is how long finished deliveries are kept before the dispatcher prunes
	// them (GRANTFLOW_WEBHOOK_RETENTION; default 30 days).
	Retention time.Duration
	// Meter makes the delivery metrics (nil: the process's global MeterProvider).
	Meter metric.MeterProvider
	// Client overrides the HTTP client's options (tests); AllowPrivate and Timeout above
	// apply when it is nil.
	Client *webhook.Options
}

// Service is a running notification service.
type Service struct {
	app   *app.Service
	store store.Store
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	log := kit.Logger(o.Logger)
	st, err := kit.OpenStore[store.Store](ctx, log, Name, o.PostgresURL,
		func() store.Store { return memory.New() },
		func(ctx context.Context, url string) (store.Store, error) { return postgres.Open(ctx, url) })
	if err != nil {
		return nil, err
	}
	if o.AllowPrivate {
		log.Warn("notification: " + AllowPrivateEnv + "=1: webhooks may reach loopback, private and link-local addresses over plain http; for development and tests only")
	}
	co := webhook.Options{AllowPrivate: o.AllowPrivate, Timeout: o.Timeout}
	if o.Client != nil {
		co = *o.Client
	}
	lease := o.Lease
	if lease <= 0 {
		lease = max(time.Minute, 3*co.Timeout)
	}
	a := app.New(app.Options{
		Store: st, Sender: webhook.NewClient(co), URLs: stdwebhook.URLPolicy{AllowPrivate: co.AllowPrivate},
		Retry: o.Retry, Logger: log, Workers: o.Workers, Poll: o.Poll, Lease: lease, Retention: o.Retention, Meter: o.Meter,
	})
	return &Service{app: a, store: st}, nil
}

// Register puts the public WebhookService and the EventSinkService that receives every
// service's events on srv.
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	notificationv1.RegisterWebhookServiceServer(srv, &grpcapi.Public{App: s.app})
	eventsv1.RegisterEventSinkServiceServer(srv, &grpcapi.Sink{App: s.app})
}

// InternalOnly reports the methods only other Grantflow services may call: the event
// sink (the kit's router serves it on a shared server).
var InternalOnly = auth.MethodSet("/" + eventsv1.EventSinkService_ServiceDesc.ServiceName + "/")

// InternalOnly reports the methods only other Grantflow services may call.
func (s *Service) InternalOnly(fullMethod string) bool { return InternalOnly(fullMethod) }

// Run sends due deliveries until ctx ends; it returns when the attempts under way have
// finished.
func (s *Service) Run(ctx context.Context) { s.app.Run(ctx) }

// Ping reports whether the store answers (readiness).
func (s *Service) Ping(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("notification store: %w", err)
	}
	return nil
}

// Close releases the store.
func (s *Service) Close() { s.store.Close() }
