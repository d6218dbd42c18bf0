package notification

import (
	"context"
	"fmt"
	"go.opentelemetry.io/otel/metric"
	"log/slog"
	"time"

	"crypto/tls"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/notification/internal/app"
	"github.com/grantflow/grantflow/services/notification/internal/channel"
	"github.com/grantflow/grantflow/services/notification/internal/dispatch"
	"github.com/grantflow/grantflow/services/notification/internal/grpcapi"
	"github.com/grantflow/grantflow/services/notification/internal/store"
	"github.com/grantflow/grantflow/services/notification/internal/store/memory"
	"github.com/grantflow/grantflow/services/notification/internal/store/postgres"
	"github.com/grantflow/grantflow/services/notification/internal/webhook"
)

// AllowPrivateEnv lifts the webhook address rules and the https-only rule when it is "1"
// (development and tests).
const AllowPrivateEnv = "GRANTFLOW_WEBHOOK_ALLOW_PRIVATE"

// Retry is the schedule of a delivery's or a message's attempts (DefaultRetry: 25 hours).
type Retry = dispatch.Retry

// DefaultRetry is the production schedule.
func DefaultRetry() Retry { return dispatch.DefaultRetry() }

// Kit is the notification service as both its binary and the all-in-one process assemble
// it: it receives every service's events (each service's outbox has a "notification" sink),
// sends webhooks with the settings of the config (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE,
// GRANTFLOW_WEBHOOK_LEASE), and email and Slack messages (GRANTFLOW_SMTP_URL,
// GRANTFLOW_SMTP_FROM, GRANTFLOW_SLACK_BOT_TOKEN, GRANTFLOW_SLACK_API_URL,
// GRANTFLOW_CONSOLE_URL), and keeps the subscriptions' signing secrets sealed under
// GRANTFLOW_SECRETS_KEY. It calls identity (a person's email and name, an app's name)
// and request (what a task's request is about) when it writes a message.
var Kit = kit.Define(engines, func(env *kit.Env, d *kit.Deps) Options {
	c := env.Config
	return Options{
		Settings: env.Settings(), SecretsKey: c.SecretsKey, AllowPrivate: c.WebhookAllowPrivate, Lease: c.WebhookLease, Retention: c.WebhookRetention,
		SMTPURL: c.SMTPURL, SMTPFrom: c.SMTPFrom, SlackBotToken: c.SlackBotToken, SlackAPIURL: c.SlackAPIURL,
		ConsoleURL: c.ConsoleURL, Directory: d.Identity(), Requests: requestv1.NewRequestServiceClient(d.Conn("request")),
	}
}, New)

// engines are the notification service's stores: the memory engine, or PostgreSQL on its schema.
var engines = kit.NewEngines[store.Store](app.ServiceName, memory.New, postgres.Open, postgres.Schema)

// Options configure the notification service.
type Options struct {
	kit.Settings
	// SecretsKey (base64 of 32 bytes: GRANTFLOW_SECRETS_KEY) seals the subscriptions'
	// signing secrets at rest. Required with PostgresURL; the memory engine makes an
	// ephemeral one and warns.
	SecretsKey string
	// AllowPrivate lifts the webhook address rules and the https-only rule
	// (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1).
	AllowPrivate bool
	// Retry overrides the retry schedule (tests); zero is DefaultRetry.
	Retry Retry
	// Now is the service's clock (tests); nil is time.Now.
	Now func() time.Time
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

	// SMTPURL and SMTPFrom configure email (GRANTFLOW_SMTP_URL, GRANTFLOW_SMTP_FROM);
	// empty: no email. A bad value is logged at start and email stays off.
	SMTPURL, SMTPFrom string
	// SMTPTLS overrides the TLS configuration of SMTP connections (tests).
	SMTPTLS *tls.Config
	// SlackBotToken and SlackAPIURL configure Slack (GRANTFLOW_SLACK_BOT_TOKEN,
	// GRANTFLOW_SLACK_API_URL); empty token: no Slack. A bad value is logged at start and
	// Slack stays off.
	SlackBotToken, SlackAPIURL string
	// ConsoleURL is the web console's address the messages link under
	// (GRANTFLOW_CONSOLE_URL).
	ConsoleURL string
	// Directory and Requests are identity's internal API and request's API, for the
	// messages' addresses and texts.
	Directory identityv1.IdentityInternalServiceClient
	Requests  requestv1.RequestServiceClient
}

// Service is a running notification service.
type Service struct {
	*kit.Base
	app *app.Service
}

// New opens the store (migrating PostgreSQL), seals the signing secrets an earlier release
// stored in the clear, and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	box, err := o.SecretsBox("notification", o.SecretsKey, "the webhooks' signing secrets")
	if err != nil {
		return nil, err
	}
	return kit.Open(ctx, engines, o.Settings, func(p *kit.Parts[store.Store]) (*Service, error) {
		log := p.Log
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
		ao := app.Options{
			Store: p.Store, Secrets: box, Sender: webhook.NewClient(co), URLs: stdwebhook.URLPolicy{AllowPrivate: co.AllowPrivate},
			Retry: o.Retry, Now: o.Now, Logger: log, Workers: o.Workers, Poll: o.Poll, Lease: lease, Retention: o.Retention, Meter: o.Meter,
			Directory: o.Directory, Requests: o.Requests, ConsoleURL: o.ConsoleURL,
		}
		ao.Email, ao.Slack = channels(log, o)
		a := app.New(ao)
		if err := a.SealPlainSecrets(ctx); err != nil {
			return nil, err
		}
		// Run sends due deliveries until ctx ends; it returns when the attempts under way
		// have finished.
		p.Base.Loops = []func(context.Context){a.Run}
		return &Service{Base: p.Base, app: a}, nil
	})
}

// channels are the email and Slack channels the options configure. A channel whose
// settings are broken is reported here, at start, and left off: the process runs on
// without it (its messages are not made, so none pile up).
func channels(log *slog.Logger, o Options) (email, slack channel.Sender) {
	switch {
	case o.SMTPURL == "" && o.SMTPFrom == "":
		log.Info("notification: email off (GRANTFLOW_SMTP_URL not set)")
	default:
		c, err := channel.ParseSMTP(o.SMTPURL, o.SMTPFrom)
		if err != nil {
			log.Error("notification: email off: broken configuration: " + err.Error())
			break
		}
		c.TLS = o.SMTPTLS
		email = channel.NewEmail(c)
		log.Info("notification: email on", "smtp", fmt.Sprintf("%s:%d", c.Host, c.Port), "from", c.From, "implicitTLS", c.Implicit)
	}
	switch {
	case o.SlackBotToken == "" && o.SlackAPIURL == "":
		log.Info("notification: Slack off (GRANTFLOW_SLACK_BOT_TOKEN not set)")
	default:
		c, err := channel.ParseSlack(o.SlackBotToken, o.SlackAPIURL)
		if err != nil {
			log.Error("notification: Slack off: broken configuration: " + err.Error())
			break
		}
		slack = channel.NewSlack(c)
		log.Info("notification: Slack on", "api", c.APIURL)
	}
	if (email != nil || slack != nil) && (o.Directory == nil || o.ConsoleURL == "") {
		log.Warn("notification: messages need identity and a console URL; email and Slack off")
		return nil, nil
	}
	return email, slack
}

// Register puts the public WebhookService and NotificationService and the
// EventSinkService that receives every service's events on srv.
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	notificationv1.RegisterWebhookServiceServer(srv, &grpcapi.Public{App: s.app})
	notificationv1.RegisterNotificationServiceServer(srv, &grpcapi.Notifications{App: s.app})
	eventsv1.RegisterEventSinkServiceServer(srv, &grpcapi.Sink{App: s.app})
}
