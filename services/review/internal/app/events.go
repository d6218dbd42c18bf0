package app

import (
	"context"
	"encoding/json"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// Event actions. Every change is audited with the campaign and item ids.
const (
	ActionCreated       = "accessReview.created"
	ActionLaunched      = "accessReview.launched"
	ActionClosed        = "accessReview.closed"
	ActionItemDecided   = "accessReview.item.decided"
	ActionItemBlocked   = "accessReview.item.blocked"
	ActionItemUnblocked = "accessReview.item.unblocked"
	// ActionItemRequest: the request an item's decision opened changed status.
	ActionItemRequest = "accessReview.item.request_updated"
)

// CampaignEvent is the data of a campaign's events.
type CampaignEvent struct {
	AccessReviewID  string   `json:"accessReviewId"`
	Name            string   `json:"name"`
	Status          string   `json:"status"`
	AppIDs          []string `json:"appIds"`
	ReviewerKind    string   `json:"reviewerKind"`
	ReviewerUserIDs []string `json:"reviewerUserIds,omitempty"`
	// Launched: how many items; closed: how many were left NOT_REVIEWED.
	Items int `json:"items,omitempty"`
}

// ItemEvent is the data of an item's events.
type ItemEvent struct {
	AccessReviewID string   `json:"accessReviewId"`
	ItemID         string   `json:"itemId"`
	UserID         string   `json:"userId"`
	AppID          string   `json:"appId"`
	Permission     string   `json:"permission"`
	ReviewerIDs    []string `json:"reviewerIds"`
	Status         string   `json:"status"`
	Decision       string   `json:"decision,omitempty"`
	NewPermission  string   `json:"newPermission,omitempty"`
	Justification  string   `json:"justification,omitempty"`
	RequestID      string   `json:"requestId,omitempty"`
	RequestStatus  string   `json:"requestStatus,omitempty"`
	BlockedReason  string   `json:"blockedReason,omitempty"`
}

func campaignEvent(c domain.Campaign, items int) CampaignEvent {
	return CampaignEvent{
		AccessReviewID: c.ID, Name: c.Name, Status: string(c.Status), AppIDs: orEmpty(c.AppIDs),
		ReviewerKind: string(c.ReviewerKind), ReviewerUserIDs: c.ReviewerUserIDs, Items: items,
	}
}

func itemEvent(it domain.Item) ItemEvent {
	return ItemEvent{
		AccessReviewID: it.CampaignID, ItemID: it.ID, UserID: it.UserID, AppID: it.AppID, Permission: it.Permission,
		ReviewerIDs: orEmpty(it.ReviewerIDs), Status: string(it.Status), Decision: string(it.Decision),
		NewPermission: it.NewPermission, Justification: it.Justification, RequestID: it.RequestID,
		RequestStatus: it.RequestStatus, BlockedReason: it.BlockedReason,
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func campaignSubject(id string) string { return "accessReviews/" + id }

func itemSubject(it domain.Item) string { return "accessReviews/" + it.CampaignID + "/items/" + it.ID }

// emit appends one event in tx. actor overrides the principal as the actor ("system" for
// what the service does by itself); requestID ties it to a request's lineage.
func (s *Service) emit(ctx context.Context, tx store.Tx, action, subject, actor, requestID string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	p, _ := auth.FromContext(ctx)
	ev := &eventsv1.Event{
		Id:              newID(),
		Service:         ServiceName,
		Action:          action,
		Subject:         subject,
		Time:            timestamppb.New(s.now()),
		ActorId:         p.UserID,
		ActorCredential: p.CredentialID,
		RequestId:       requestID,
		Data:            raw,
	}
	if actor != "" && actor != p.UserID {
		ev.ActorId, ev.ActorCredential = actor, actor
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		ev.TraceId = sc.TraceID().String()
		carrier := propagation.MapCarrier{}
		propagation.TraceContext{}.Inject(ctx, carrier)
		ev.Traceparent = carrier.Get("traceparent")
	}
	return tx.Emit(ctx, []string{SinkAudit}, ev)
}
