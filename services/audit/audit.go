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
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/services/audit/internal/app"
	"github.com/grantflow/grantflow/services/audit/internal/chain"
	"github.com/grantflow/grantflow/services/audit/internal/grpcapi"
	"github.com/grantflow/grantflow/services/audit/internal/store"
	"github.com/grantflow/grantflow/services/audit/internal/store/memory"
	"github.com/grantflow/grantflow/services/audit/internal/store/postgres"
)

// Name is the service's name in traces, logs and events.
const Name = app.ServiceName

// RequestVisibility decides whether a caller who is not Admin or GM may see a request, and
// so its events. The default (nil in Options) lets nobody see a request through it: such a
// caller sees only the events they did (actor_id) and the events about them (subject
// users/<their id>). The request service brings the real rule.
type RequestVisibility = app.RequestVisibility

// Options configure the audit service.
type Options struct {
	Logger *slog.Logger
	// PostgresURL selects the PostgreSQL engine; empty selects the memory engine.
	PostgresURL string
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
	app   *app.Service
	store store.Store
	key   *chain.Key
	log   *slog.Logger
}

// New opens the store (migrating PostgreSQL), loads or makes the signing key, and assembles
// the service.
func New(ctx context.Context, o Options) (*Service, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	var st store.Store
	if o.PostgresURL == "" {
		log.Warn("audit: memory engine: the log does not survive a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
		st = memory.New()
	} else {
		pg, err := postgres.Open(ctx, o.PostgresURL)
		if err != nil {
			return nil, err
		}
		st = pg
	}
	key, err := signingKey(ctx, st, o.SigningKey, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	a, err := app.New(ctx, app.Options{
		Store: st, Key: key, Visibility: o.Visibility, Logger: log,
		CheckpointEvery: o.CheckpointEvery, CheckpointInterval: o.CheckpointInterval,
	})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("audit: %w", err)
	}
	return &Service{app: a, store: st, key: key, log: log}, nil
}

func signingKey(ctx context.Context, st store.Store, configured string, log *slog.Logger) (*chain.Key, error) {
	if configured != "" {
		seed, err := chain.ParseSeed(configured)
		if err != nil {
			return nil, fmt.Errorf("GRANTFLOW_AUDIT_SIGNING_KEY: %w", err)
		}
		return chain.NewKey(seed)
	}
	seed, err := st.SigningSeed(ctx, chain.GenerateSeed())
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	key, err := chain.NewKey(seed)
	if err != nil {
		return nil, err
	}
	log.Warn("audit: checkpoints are signed with a key kept in the audit store itself: whoever can rewrite the log can re-sign it; in production set GRANTFLOW_AUDIT_SIGNING_KEY from a secret",
		"key_id", key.ID())
	return key, nil
}

// Register puts the public AuditService and the internal AuditIngestService on srv.
func (s *Service) Register(srv *grpc.Server) {
	auditv1.RegisterAuditServiceServer(srv, &grpcapi.Public{App: s.app})
	auditv1.RegisterAuditIngestServiceServer(srv, &grpcapi.Ingest{App: s.app})
}

// RegisterEventSink also serves the generic grantflow.events.v1.EventSinkService, for
// producers that deliver through outbox.GRPCSink. Only a server of audit's own may carry it
// (the request service receives task outcomes on the same service name): the audit binary
// registers it, the all-in-one process must not.
func (s *Service) RegisterEventSink(srv *grpc.Server) {
	eventsv1.RegisterEventSinkServiceServer(srv, &eventSink{ingest: &grpcapi.Ingest{App: s.app}})
}

type eventSink struct {
	eventsv1.UnimplementedEventSinkServiceServer
	ingest *grpcapi.Ingest
}

func (e *eventSink) DeliverEvents(ctx context.Context, r *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return e.ingest.DeliverEvents(ctx, r)
}

// InternalOnly reports the methods only other Grantflow services may call: the ingestion.
var InternalOnly = auth.MethodSet("/" + auditv1.AuditIngestService_ServiceDesc.ServiceName + "/")

// InternalOnlyWithEventSink is InternalOnly for a server that also carries
// RegisterEventSink's service.
var InternalOnlyWithEventSink = auth.MethodSet(
	"/"+auditv1.AuditIngestService_ServiceDesc.ServiceName+"/",
	"/"+eventsv1.EventSinkService_ServiceDesc.ServiceName+"/",
)

// Sink delivers a producer's outbox to the audit service behind conn (a connection made
// with the kit's grpcclient, which carries the signed internal token). The batch is stored
// all or nothing, each event id once, so the relay may send it again after any failure.
func Sink(conn grpc.ClientConnInterface) outbox.Sink {
	client := auditv1.NewAuditIngestServiceClient(conn)
	return outbox.SinkFunc(func(ctx context.Context, events []*eventsv1.Event) error {
		_, err := client.DeliverEvents(ctx, &eventsv1.DeliverEventsRequest{Events: events})
		return err
	})
}

// Run makes the signed checkpoints until ctx ends (and one last one then); it returns when
// it stopped.
func (s *Service) Run(ctx context.Context) { s.app.Run(ctx) }

// Checkpoint signs the head now if events arrived since the newest checkpoint, and reports
// whether it did.
func (s *Service) Checkpoint(ctx context.Context) (bool, error) {
	_, made, err := s.app.Checkpoint(ctx)
	return made, err
}

// PublicKey returns the key that verifies the checkpoints.
func (s *Service) PublicKey() ed25519.PublicKey { return s.key.Public() }

// Ping reports whether the store answers (readiness).
func (s *Service) Ping(ctx context.Context) error { return s.store.Ping(ctx) }

// Close releases the store.
func (s *Service) Close() { s.store.Close() }
