package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/audit/internal/app"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// Public implements grantflow.audit.v1.AuditService.
type Public struct {
	auditv1.UnimplementedAuditServiceServer
	App *app.Service
}

func (h *Public) ListAuditEvents(ctx context.Context, r *auditv1.ListAuditEventsRequest) (*auditv1.ListAuditEventsResponse, error) {
	q := app.Query{RequestID: r.GetRequestId(), Subject: r.GetSubject(), ActorID: r.GetActorId(), PageSize: r.GetPageSize(), PageToken: r.GetPageToken()}
	if r.GetSince() != nil {
		if err := r.GetSince().CheckValid(); err != nil {
			return nil, errs.Invalid("since", err.Error())
		}
		q.Since = r.GetSince().AsTime()
	}
	if r.GetUntil() != nil {
		if err := r.GetUntil().CheckValid(); err != nil {
			return nil, errs.Invalid("until", err.Error())
		}
		q.Until = r.GetUntil().AsTime()
	}
	events, next, err := h.App.List(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &auditv1.ListAuditEventsResponse{AuditEvents: make([]*auditv1.AuditEvent, 0, len(events)), NextPageToken: next}
	for i := range events {
		pb, err := EventPB(&events[i])
		if err != nil {
			return nil, err
		}
		out.AuditEvents = append(out.AuditEvents, pb)
	}
	return out, nil
}

func (h *Public) VerifyAuditEvents(ctx context.Context, r *auditv1.VerifyAuditEventsRequest) (*auditv1.VerifyAuditEventsResponse, error) {
	return pbconv.Reply(ReportPB)(h.App.Verify(ctx, r.GetFromLastCheckpoint()))
}

func (h *Public) ExportAuditEvents(_ *auditv1.ExportAuditEventsRequest, stream grpc.ServerStreamingServer[auditv1.AuditEvent]) error {
	return h.App.Export(stream.Context(), func(e *domain.Event) error {
		pb, err := EventPB(e)
		if err != nil {
			return err
		}
		return stream.Send(pb)
	})
}

func (h *Public) GetPublicKey(ctx context.Context, _ *auditv1.GetPublicKeyRequest) (*auditv1.PublicKey, error) {
	pub, id, err := h.App.PublicKey(ctx)
	if err != nil {
		return nil, err
	}
	return &auditv1.PublicKey{Algorithm: "Ed25519", KeyId: id, PublicKey: pub}, nil
}

func (h *Public) ListCheckpoints(ctx context.Context, r *auditv1.ListCheckpointsRequest) (*auditv1.ListCheckpointsResponse, error) {
	cps, next, err := h.App.Checkpoints(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &auditv1.ListCheckpointsResponse{Checkpoints: make([]*auditv1.Checkpoint, 0, len(cps)), NextPageToken: next}
	for i := range cps {
		out.Checkpoints = append(out.Checkpoints, CheckpointPB(&cps[i]))
	}
	return out, nil
}
