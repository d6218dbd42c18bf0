package grpcapi

import (
	"context"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/audit/internal/app"
)

// Ingest implements grantflow.audit.v1.AuditIngestService. The server refuses callers
// without a signed internal token before it runs (pkg/auth InternalOnly).
type Ingest struct {
	auditv1.UnimplementedAuditIngestServiceServer
	App *app.Service
}

func (h *Ingest) DeliverEvents(ctx context.Context, r *eventsv1.DeliverEventsRequest) (*eventsv1.DeliverEventsResponse, error) {
	return grpcserver.Deliver(ctx, r, h.App.Ingest)
}
