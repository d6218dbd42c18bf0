package grpcapi

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/notification/internal/app"
)

// Public implements grantflow.notification.v1.WebhookService.
type Public struct {
	notificationv1.UnimplementedWebhookServiceServer
	App *app.Service
}

func (h *Public) CreateWebhook(ctx context.Context, r *notificationv1.CreateWebhookRequest) (*notificationv1.CreateWebhookResponse, error) {
	w, secret, err := h.App.CreateWebhook(ctx, r.GetUrl(), r.GetEventTypes(), r.GetDescription())
	if err != nil {
		return nil, err
	}
	return &notificationv1.CreateWebhookResponse{Webhook: WebhookPB(w), Secret: secret}, nil
}

func (h *Public) GetWebhook(ctx context.Context, r *notificationv1.GetWebhookRequest) (*notificationv1.Webhook, error) {
	return pbconv.Reply(WebhookPB)(h.App.GetWebhook(ctx, r.GetId()))
}

func (h *Public) ListWebhooks(ctx context.Context, r *notificationv1.ListWebhooksRequest) (*notificationv1.ListWebhooksResponse, error) {
	ws, next, err := h.App.ListWebhooks(ctx, r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&notificationv1.ListWebhooksResponse{Webhooks: pbconv.Map(ws, WebhookPB), NextPageToken: next}, err)
}

func (h *Public) UpdateWebhook(ctx context.Context, r *notificationv1.UpdateWebhookRequest) (*notificationv1.Webhook, error) {
	w := r.GetWebhook()
	var p app.Patch
	eventTypes := pbconv.Put(w.GetEventTypes() != nil, &p.EventTypes, append([]string{}, w.GetEventTypes()...))
	if err := pbconv.Patch(r.GetUpdateMask(), "url, event_types, description, disabled", map[string]pbconv.Field{
		"url":         pbconv.Put(w.GetUrl() != "", &p.URL, w.GetUrl()),
		"event_types": eventTypes,
		"eventTypes":  {Apply: eventTypes.Apply}, // the JSON name, in a mask only
		"description": pbconv.Put(w.GetDescription() != "", &p.Description, w.GetDescription()),
		"disabled":    pbconv.Put(w.GetDisabled(), &p.Disabled, w.GetDisabled()),
	}); err != nil {
		return nil, err
	}
	if p.URL != nil && *p.URL == "" {
		return nil, errs.Invalid("webhook.url", "required")
	}
	return pbconv.Reply(WebhookPB)(h.App.UpdateWebhook(ctx, r.GetId(), p))
}

func (h *Public) DeleteWebhook(ctx context.Context, r *notificationv1.DeleteWebhookRequest) (*emptypb.Empty, error) {
	return pbconv.Empty(h.App.DeleteWebhook(ctx, r.GetId()))
}

func (h *Public) ListDeliveries(ctx context.Context, r *notificationv1.ListDeliveriesRequest) (*notificationv1.ListDeliveriesResponse, error) {
	ds, next, err := h.App.ListDeliveries(ctx, r.GetWebhookId(), r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&notificationv1.ListDeliveriesResponse{Deliveries: pbconv.Map(ds, DeliveryPB), NextPageToken: next}, err)
}

func (h *Public) GetDelivery(ctx context.Context, r *notificationv1.GetDeliveryRequest) (*notificationv1.Delivery, error) {
	return pbconv.Reply(DeliveryPB)(h.App.GetDelivery(ctx, r.GetWebhookId(), r.GetId()))
}

func (h *Public) PingWebhook(ctx context.Context, r *notificationv1.PingWebhookRequest) (*notificationv1.Delivery, error) {
	return pbconv.Reply(DeliveryPB)(h.App.Ping(ctx, r.GetId()))
}

func (h *Public) RedeliverDelivery(ctx context.Context, r *notificationv1.RedeliverDeliveryRequest) (*notificationv1.Delivery, error) {
	return pbconv.Reply(DeliveryPB)(h.App.Redeliver(ctx, r.GetWebhookId(), r.GetId()))
}
