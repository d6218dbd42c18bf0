package identity

import (
	"context"
	"fmt"

	"google.golang.org/grpc"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/pkg/secretbox"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/identity/internal/app"
	"github.com/grantflow/grantflow/services/identity/internal/grpcapi"
	"github.com/grantflow/grantflow/services/identity/internal/oidc"
	"github.com/grantflow/grantflow/services/identity/internal/store"
	"github.com/grantflow/grantflow/services/identity/internal/store/memory"
	"github.com/grantflow/grantflow/services/identity/internal/store/postgres"
)

// Kit is the identity service as both its binary and the all-in-one process assemble it:
// it delivers its outbox to audit and notification (every event), request (onboarding and
// offboarding triggers) and task (a user's new manager), and authenticates credentials itself.
var Kit = kit.Define(engines, func(env *kit.Env, d *kit.Deps) Options {
	c := env.Config
	return Options{
		Settings: env.Settings(), Cache: env.Cache("gf:identity:"),
		BootstrapAdminKey: c.BootstrapAdminKey, OIDCIssuer: c.OIDCIssuer, OIDCAudience: c.OIDCAudience,
		AuditSink: d.Sink("audit"), RequestSink: d.Sink("request"), NotificationSink: d.Sink("notification"), TaskSink: d.Sink("task"), ReviewSink: d.Sink("review"),
		SecretsKey: c.SecretsKey, WebhookAllowPrivate: c.WebhookAllowPrivate,
	}
}, New)

// engines are the identity service's stores: the memory engine, or PostgreSQL on its schema.
var engines = kit.NewEngines[store.Store](app.ServiceName, memory.New, postgres.Open, postgres.Schema)

// Options configure the identity service.
type Options struct {
	kit.Settings
	// Cache is the Redis cache (prefix "gf:identity:"); a nil-client cache disables it.
	Cache *rediscache.Cache
	// BootstrapAdminKey, if set, is an API key of an Admin that exists from the start.
	BootstrapAdminKey string
	// OIDCIssuer and OIDCAudience enable OIDC bearer tokens.
	OIDCIssuer, OIDCAudience string
	// Sinks deliver the outbox: "audit" and "notification" (every event) and "request"
	// (onboarding and offboarding triggers). A sink left nil keeps its events in the outbox
	// until one is configured: delayed, never lost. "review" gets the changes of apps'
	// owners; left nil, none are written for it.
	AuditSink, RequestSink, NotificationSink, ReviewSink outbox.Sink
	// TaskSink receives the user.updated events that give a user another manager (the
	// mover effect: the task service moves the user's pending manager reviews). Nil keeps
	// them in the outbox until one is configured.
	TaskSink outbox.Sink
	// SecretsKey (base64 of 32 bytes: GRANTFLOW_SECRETS_KEY) seals apps' connector secrets
	// at rest. Required with PostgresURL; the memory engine makes an ephemeral one and warns.
	SecretsKey string
	// WebhookAllowPrivate lets connector URLs name loopback, private and link-local hosts,
	// and http (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE): development and tests only.
	WebhookAllowPrivate bool
}

// Service is a running identity service.
type Service struct {
	*kit.Base
	app  *app.Service
	auth auth.Authenticator
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	box, err := o.SecretsBox("identity", o.SecretsKey, "the apps' connector secrets")
	if err != nil {
		return nil, err
	}
	return kit.Open(ctx, engines, o.Settings, func(p *kit.Parts[store.Store]) (*Service, error) {
		return newService(ctx, o, p, box)
	})
}

func newService(ctx context.Context, o Options, p *kit.Parts[store.Store], box *secretbox.Box) (*Service, error) {
	cache := o.Cache
	if cache == nil {
		cache = rediscache.New(nil, "gf:identity:", p.Log)
	}
	s := &Service{Base: p.Base}
	var verifier app.TokenVerifier
	if o.OIDCIssuer != "" {
		v, err := oidc.New(ctx, o.OIDCIssuer, o.OIDCAudience)
		if err != nil {
			return nil, err
		}
		verifier = v
	}
	var triggers, reviews []string
	if o.RequestSink != nil {
		triggers = []string{app.SinkRequest}
	}
	var movers []string
	if o.TaskSink != nil {
		movers = []string{app.SinkTask}
	}
	if o.ReviewSink != nil {
		reviews = []string{app.SinkReview}
	}
	s.app = app.New(app.Options{Store: p.Store, Cache: cache, Logger: p.Log, OIDC: verifier, TriggerSinks: triggers, MoverSinks: movers, ReviewSinks: reviews, Box: box,
		URLs: stdwebhook.URLPolicy{AllowPrivate: o.WebhookAllowPrivate}, Notify: s.Notify})
	s.auth = auth.Cached(auth.AuthenticatorFunc(s.app.Authenticate), cache, auth.DefaultPrincipalTTL)
	if err := p.Relay(outbox.Target{Name: app.SinkAudit, Sink: o.AuditSink}, outbox.Target{Name: app.SinkRequest, Sink: o.RequestSink},
		outbox.Target{Name: app.SinkNotification, Sink: o.NotificationSink}, outbox.Target{Name: app.SinkTask, Sink: o.TaskSink},
		outbox.Target{Name: app.SinkReview, Sink: o.ReviewSink}); err != nil {
		return nil, err
	}
	if o.BootstrapAdminKey != "" {
		if err := s.app.Bootstrap(ctx, o.BootstrapAdminKey); err != nil {
			return nil, fmt.Errorf("bootstrap admin: %w", err)
		}
	}
	return s, nil
}

// Register puts the public and the internal identity services on srv.
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	identityv1.RegisterIdentityServiceServer(srv, &grpcapi.Public{App: s.app})
	identityv1.RegisterIdentityInternalServiceServer(srv, &grpcapi.Internal{App: s.app})
}

// Authenticator authenticates credentials locally, through the Redis cache.
func (s *Service) Authenticator() auth.Authenticator { return s.auth }
