package identity

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"google.golang.org/grpc"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/services/identity/internal/app"
	"github.com/grantflow/grantflow/services/identity/internal/grpcapi"
	"github.com/grantflow/grantflow/services/identity/internal/oidc"
	"github.com/grantflow/grantflow/services/identity/internal/store"
	"github.com/grantflow/grantflow/services/identity/internal/store/memory"
	"github.com/grantflow/grantflow/services/identity/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// Options configure the identity service.
type Options struct {
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
	// Cache is the Redis cache (prefix "gf:identity:"); a nil-client cache disables it.
	Cache *rediscache.Cache
	// BootstrapAdminKey, if set, is an API key of an Admin that exists from the start.
	BootstrapAdminKey string
	// OIDCIssuer and OIDCAudience enable OIDC bearer tokens.
	OIDCIssuer, OIDCAudience string
	// Sinks deliver the outbox: "audit" (every event) and "request" (onboarding and
	// offboarding triggers). A sink left nil keeps its events in the outbox until one is
	// configured: delayed, never lost.
	AuditSink, RequestSink outbox.Sink
}

// Service is a running identity service.
type Service struct {
	app    *app.Service
	store  store.Store
	auth   auth.Authenticator
	relays []*outbox.Relay
	log    *slog.Logger
}

// New opens the store (migrating PostgreSQL) and assembles the service.
func New(ctx context.Context, o Options) (*Service, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	var st store.Store
	if o.PostgresURL == "" {
		log.Warn("identity: memory engine: nothing survives a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
		st = memory.New()
	} else {
		pg, err := postgres.Open(ctx, o.PostgresURL)
		if err != nil {
			return nil, fmt.Errorf("identity store: %w", err)
		}
		st = pg
	}
	cache := o.Cache
	if cache == nil {
		cache = rediscache.New(nil, "gf:identity:", log)
	}
	s := &Service{store: st, log: log}
	var verifier app.TokenVerifier
	if o.OIDCIssuer != "" {
		v, err := oidc.New(ctx, o.OIDCIssuer, o.OIDCAudience)
		if err != nil {
			st.Close()
			return nil, err
		}
		verifier = v
	}
	var triggers []string
	if o.RequestSink != nil {
		triggers = []string{app.SinkRequest}
	}
	s.app = app.New(app.Options{Store: st, Cache: cache, Logger: log, OIDC: verifier, TriggerSinks: triggers, Notify: s.notify})
	s.auth = auth.Cached(auth.AuthenticatorFunc(s.app.Authenticate), cache, auth.DefaultPrincipalTTL)
	for sink, to := range map[string]outbox.Sink{app.SinkAudit: o.AuditSink, app.SinkRequest: o.RequestSink} {
		if to == nil {
			continue
		}
		ro := outbox.RelayOptions{Name: sink, Store: st, Sink: to, Logger: log.With("relay", "identity->"+sink)}
		if l, ok := st.(interface {
			RelayLock(string) func(context.Context) (func(), bool, error)
		}); ok {
			ro.Lock = l.RelayLock(sink)
		}
		r, err := outbox.NewRelay(ro)
		if err != nil {
			st.Close()
			return nil, err
		}
		s.relays = append(s.relays, r)
	}
	if o.BootstrapAdminKey != "" {
		if err := s.app.Bootstrap(ctx, o.BootstrapAdminKey); err != nil {
			st.Close()
			return nil, fmt.Errorf("bootstrap admin: %w", err)
		}
	}
	return s, nil
}

func (s *Service) notify() {
	for _, r := range s.relays {
		r.Notify()
	}
}

// Register puts the public and the internal identity services on srv.
func (s *Service) Register(srv *grpc.Server) {
	identityv1.RegisterIdentityServiceServer(srv, &grpcapi.Public{App: s.app})
	identityv1.RegisterIdentityInternalServiceServer(srv, &grpcapi.Internal{App: s.app})
}

// Authenticator authenticates credentials locally, through the Redis cache.
func (s *Service) Authenticator() auth.Authenticator { return s.auth }

// InternalOnly reports the methods only other Grantflow services may call.
var InternalOnly = auth.MethodSet("/" + identityv1.IdentityInternalService_ServiceDesc.ServiceName + "/")

// RunRelays delivers the outbox until ctx ends, and returns when every relay stopped.
func (s *Service) RunRelays(ctx context.Context) {
	var wg sync.WaitGroup
	for _, r := range s.relays {
		wg.Go(func() {
			if err := r.Run(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("identity relay stopped", "error", err.Error())
			}
		})
	}
	wg.Wait()
}

// Ping reports whether the store answers (readiness).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Close releases the store.
func (s *Service) Close() { s.store.Close() }
