package grpcapi

import (
	"context"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/audit/internal/app"
)

// Internal implements grantflow.audit.v1.AuditIngestService (deprecated) and
// grantflow.events.v1.EventSinkService with the same handler: every service's outbox
// relay delivers here. The server refuses callers without a signed internal token before
// it runs (pkg/auth InternalOnly).
type Internal struct {
	auditv1.UnimplementedAuditIngestServiceServer
	eventsv1.UnimplementedEventSinkServiceServer
	App *app.Service
}

func (h *Internal) DeliverEvents(ctx context.Context, r *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return grpcserver.Deliver(ctx, r, h.App.Ingest)
}
