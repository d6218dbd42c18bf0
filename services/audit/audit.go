package audit

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/audit/internal/app"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/grpcapi"
	"github.com/grantflow/grantflow/services/audit/internal/store"
	"github.com/grantflow/grantflow/services/audit/internal/store/memory"
	"github.com/grantflow/grantflow/services/audit/internal/store/postgres"
)

// Kit is the audit service as both its binary and the all-in-one process assemble it:
// it receives every service's events, asks the request service who may see a request's
// events, and signs checkpoints with the key and pace of the config
// (GRANTFLOW_AUDIT_SIGNING_KEY or _FILE, GRANTFLOW_AUDIT_CHECKPOINT_*).
var Kit = kit.Define(engines, func(env *kit.Env, d *kit.Deps) Options {
	return Options{Settings: env.Settings(), Visibility: RequestServiceVisibility(d.Conn("request")), SigningKey: env.Config.AuditSigningKey,
		CheckpointEvery: env.Config.AuditCheckpointEvery, CheckpointInterval: env.Config.AuditCheckpointInterval}
}, New)

// engines are the audit service's stores: the memory engine, or PostgreSQL on its schema.
var engines = kit.NewEngines[store.Store](app.ServiceName, memory.New, postgres.Open, postgres.Schema)

// RequestVisibility decides whether a caller who is not Admin or GM may see a request, and
// so its events. The default (nil in Options) lets nobody see a request through it: such a
// caller sees only the events they did (actor_id) and the events about them (subject
// users/<their id>). The request service brings the real rule.
type RequestVisibility = app.RequestVisibility

// Options configure the audit service.
type Options struct {
	kit.Settings
	// SigningKey is the checkpoints' Ed25519 seed, base64 (GRANTFLOW_AUDIT_SIGNING_KEY); in
	// production it comes from a secret. Empty: a key generated at the first start and
	// stored in the database (in memory with the memory engine), for development only.
	SigningKey string
	// CheckpointEvery and CheckpointInterval pace the checkpoints Run makes (defaults 1000
	// events and 10s).
	CheckpointEvery    int
	CheckpointInterval time.Duration
	Visibility         RequestVisibility
}

// Service is a running audit service.
type Service struct {
	*kit.Base
	app *app.Service
	key *domain.Key
}

// New opens the store (migrating PostgreSQL), loads or makes the signing key, and assembles
// the service.
func New(ctx context.Context, o Options) (*Service, error) {
	return kit.Open(ctx, engines, o.Settings, func(p *kit.Parts[store.Store]) (*Service, error) {
		key, err := signingKey(ctx, p.Store, o.SigningKey, p.Log)
		if err != nil {
			return nil, err
		}
		a, err := app.New(ctx, app.Options{
			Store: p.Store, Key: key, Visibility: o.Visibility, Logger: p.Log,
			CheckpointEvery: o.CheckpointEvery, CheckpointInterval: o.CheckpointInterval,
		})
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		// Run makes the signed checkpoints until ctx ends (and one last one then).
		p.Base.Loops = []func(context.Context){a.Run}
		return &Service{Base: p.Base, app: a, key: key}, nil
	})
}

func signingKey(ctx context.Context, st store.Store, configured string, log *slog.Logger) (*domain.Key, error) {
	if configured != "" {
		seed, err := domain.ParseSeed(configured)
		if err != nil {
			return nil, fmt.Errorf("GRANTFLOW_AUDIT_SIGNING_KEY: %w", err)
		}
		return domain.NewKey(seed)
	}
	seed, err := st.SigningSeed(ctx, domain.GenerateSeed())
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	key, err := domain.NewKey(seed)
	if err != nil {
		return nil, err
	}
	log.Warn("audit: checkpoints are signed with a key kept in the audit store itself: whoever can rewrite the log can re-sign it; in production set GRANTFLOW_AUDIT_SIGNING_KEY from a secret",
		"key_id", key.ID())
	return key, nil
}

// Register puts the public AuditService and the EventSinkService that receives every
// service's events on srv (AuditIngestService.DeliverEvents, the same handler, is
// deprecated).
func (s *Service) Register(srv grpc.ServiceRegistrar) {
	internal := &grpcapi.Internal{App: s.app}
	auditv1.RegisterAuditServiceServer(srv, &grpcapi.Public{App: s.app})
	auditv1.RegisterAuditIngestServiceServer(srv, internal)
	eventsv1.RegisterEventSinkServiceServer(srv, internal)
}

// Checkpoint signs the head now if events arrived since the newest checkpoint, and reports
// whether it did.
func (s *Service) Checkpoint(ctx context.Context) (bool, error) {
	_, made, err := s.app.Checkpoint(ctx)
	return made, err
}

// PublicKey returns the key that verifies the checkpoints.
func (s *Service) PublicKey() ed25519.PublicKey { return s.key.Public() }
