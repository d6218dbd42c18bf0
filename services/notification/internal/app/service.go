package app

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/secretbox"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/services/notification/internal/channel"
	"github.com/grantflow/grantflow/services/notification/internal/dispatch"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// ServiceName is the service's name in traces, logs and events.
const ServiceName = "grantflow-notification"

// Sender posts one delivery (webhook.Client).
type Sender interface {
	Send(ctx context.Context, url string, secret []byte, id string, body []byte) domain.Outcome
}

// Options configure the service.
type Options struct {
	Store store.Store
	// Secrets seals the subscriptions' signing secrets before they reach the store and
	// opens them for signing (nil: an ephemeral key, for tests).
	Secrets *secretbox.Box
	Sender  Sender
	// URLs is what a subscription's URL may be.
	URLs   stdwebhook.URLPolicy
	Retry  dispatch.Retry
	Logger *slog.Logger
	Now    func() time.Time
	// Workers is how many attempts run at once (default 32).
	Workers int
	// Lease is how long a claimed delivery is reserved for its attempt before another
	// dispatcher may take it over (default 1 minute; more than the sender's timeout).
	Lease time.Duration
	// Poll bounds how long the dispatcher sleeps without looking at the queue (default 1s);
	// a fan-out in this process wakes it at once.
	Poll time.Duration

	// Email and Slack are the message channels; nil: not configured (nobody gets
	// messages over it).
	Email, Slack channel.Sender
	// Directory tells a person's email and name, and an app's name (identity).
	Directory identityv1.IdentityInternalServiceClient
	// Requests tells what a task's request is about (request).
	Requests requestv1.RequestServiceClient
	// ConsoleURL is the web console's address; messages link to pages under it.
	ConsoleURL string
	// Retention is how long finished deliveries are kept (GRANTFLOW_WEBHOOK_RETENTION,
	// default 30 days); the dispatcher prunes older ones at most once per PruneEvery
	// (default 1 hour), in batches.
	Retention, PruneEvery time.Duration
	// Meter makes the delivery metrics (nil: the process's global MeterProvider, which its
	// metrics endpoint serves).
	Meter metric.MeterProvider
}

// Service is the notification application.
type Service struct {
	store   store.Store
	secrets *secretbox.Box
	sender  Sender
	urls    stdwebhook.URLPolicy
	retry   dispatch.Retry
	log     *slog.Logger
	now     func() time.Time
	hooks   *dispatch.Loop[domain.Job]
	msgs    *dispatch.Loop[domain.Message]

	channels  map[domain.Channel]channel.Sender
	directory identityv1.IdentityInternalServiceClient
	requests  requestv1.RequestServiceClient
	console   string

	// pruner deletes the deliveries finished (SUCCEEDED or FAILED) longer than the
	// retention ago, in batches.
	pruner storekit.Pruner
	// attempts counts delivery attempts by outcome (succeeded, retrying, failed).
	attempts metric.Int64Counter
}

// New assembles the service.
func New(o Options) *Service {
	s := &Service{store: o.Store, secrets: o.Secrets, sender: o.Sender, urls: o.URLs, retry: o.Retry, log: o.Logger, now: o.Now,
		channels: map[domain.Channel]channel.Sender{}, directory: o.Directory, requests: o.Requests,
		console: strings.TrimRight(o.ConsoleURL, "/")}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.secrets == nil {
		s.secrets, _ = secretbox.New(secretbox.NewKey()) // a fresh key is the right size
	}
	if s.retry == (dispatch.Retry{}) {
		s.retry = dispatch.DefaultRetry()
	}
	if o.Email != nil {
		s.channels[domain.Email] = o.Email
	}
	if o.Slack != nil {
		s.channels[domain.Slack] = o.Slack
	}
	s.pruner = storekit.Pruner{Name: "notification deliveries", Prune: s.store.PruneDeliveries, Now: s.clock,
		Retention: o.Retention, Every: o.PruneEvery, Log: s.log}
	if s.pruner.Retention <= 0 {
		s.pruner.Retention = 30 * 24 * time.Hour
	}
	mp := o.Meter
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	s.attempts, _ = mp.Meter("grantflow-notification").Int64Counter("grantflow.webhook.delivery.attempts",
		metric.WithDescription("Webhook delivery attempts by outcome: SUCCEEDED, PENDING (to be retried) or FAILED (retry window closed)"),
		metric.WithUnit("{attempt}"))
	lo := dispatch.Options{Logger: s.log, Now: s.now, Workers: o.Workers, Lease: o.Lease, Poll: o.Poll}
	lo.Name = "deliveries"
	s.hooks = dispatch.NewLoop[domain.Job](s.store, s.attempt, lo)
	lo.Name = "messages"
	s.msgs = dispatch.NewLoop[domain.Message](messageQueue{s.store}, s.send, lo)
	return s
}

// clock is now at microsecond precision, what PostgreSQL keeps, so both engines answer
// the same times.
func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// admin authorizes the webhook calls: the matrix's "Create API Keys and Webhooks" (Admin,
// GM). It returns the caller's id.
func admin(ctx context.Context) (string, error) {
	p, sub, err := auth.Caller(ctx)
	if err != nil {
		return "", err
	}
	if d := authz.Check(sub, authz.CreateAPIKeysAndWebhooks, authz.Resource{}); !d.Allowed {
		return "", errs.PermissionDenied("not allowed: " + d.Reason)
	}
	return p.UserID, nil
}
