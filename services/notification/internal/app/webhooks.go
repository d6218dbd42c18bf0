package app

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// webhookList names the subscription list in its page tokens.
const webhookList = "webhooks"

// CreateWebhook subscribes url to eventTypes and returns the subscription and its secret,
// as shown once (whsec_ + base64).
func (s *Service) CreateWebhook(ctx context.Context, url string, eventTypes []string, description string) (domain.Webhook, string, error) {
	by, err := admin(ctx)
	if err != nil {
		return domain.Webhook{}, "", err
	}
	if err := s.urls.ValidateURL("url", url); err != nil {
		return domain.Webhook{}, "", err
	}
	types, err := domain.NormalizeEventTypes("event_types", eventTypes)
	if err != nil {
		return domain.Webhook{}, "", err
	}
	now := s.clock()
	secret := stdwebhook.NewSecret()
	id := uuid.Must(uuid.NewV7()).String()
	w, err := s.store.CreateWebhook(ctx, domain.Webhook{
		ID: id, URL: url, EventTypes: types, Description: description,
		Secret: s.sealSecret(id, secret), CreatedBy: by, CreateTime: now, UpdateTime: now,
	})
	if err != nil {
		return domain.Webhook{}, "", err
	}
	return w, stdwebhook.FormatSecret(secret), nil
}

// GetWebhook returns a subscription.
func (s *Service) GetWebhook(ctx context.Context, id string) (domain.Webhook, error) {
	if _, err := admin(ctx); err != nil {
		return domain.Webhook{}, err
	}
	w, err := s.store.GetWebhook(ctx, id)
	return w, appkit.NotFound(err, "webhook", id)
}

// ListWebhooks returns a page of subscriptions, oldest first.
func (s *Service) ListWebhooks(ctx context.Context, size int32, token string) ([]domain.Webhook, string, error) {
	if _, err := admin(ctx); err != nil {
		return nil, "", err
	}
	after, n, err := page(webhookList, token, size)
	if err != nil {
		return nil, "", err
	}
	ws, err := s.store.ListWebhooks(ctx, after, n+1)
	if err != nil {
		return nil, "", err
	}
	ws, next := paging.Trim(ws, n, webhookList, func(w domain.Webhook) []string { return bySeq(w.Seq) })
	return ws, next, nil
}

// Patch is an edit of a subscription: nil fields are kept.
type Patch struct {
	URL         *string
	EventTypes  *[]string
	Description *string
	Disabled    *bool
}

// UpdateWebhook applies p to a subscription.
func (s *Service) UpdateWebhook(ctx context.Context, id string, p Patch) (domain.Webhook, error) {
	if _, err := admin(ctx); err != nil {
		return domain.Webhook{}, err
	}
	var types []string
	if p.URL != nil {
		if err := s.urls.ValidateURL("webhook.url", *p.URL); err != nil {
			return domain.Webhook{}, err
		}
	}
	if p.EventTypes != nil {
		var err error
		if types, err = domain.NormalizeEventTypes("webhook.event_types", *p.EventTypes); err != nil {
			return domain.Webhook{}, err
		}
	}
	now := s.clock()
	w, err := s.store.UpdateWebhook(ctx, id, func(w *domain.Webhook) error {
		if p.URL != nil {
			w.URL = *p.URL
		}
		if p.EventTypes != nil {
			w.EventTypes = slices.Clone(types)
		}
		if p.Description != nil {
			w.Description = *p.Description
		}
		if p.Disabled != nil {
			w.Disabled = *p.Disabled
		}
		w.UpdateTime = now
		return nil
	})
	return w, appkit.NotFound(err, "webhook", id)
}

// DeleteWebhook removes a subscription and its deliveries.
func (s *Service) DeleteWebhook(ctx context.Context, id string) error {
	if _, err := admin(ctx); err != nil {
		return err
	}
	return appkit.NotFound(s.store.DeleteWebhook(ctx, id), "webhook", id)
}

// ListDeliveries returns a page of a subscription's delivery log, newest first.
func (s *Service) ListDeliveries(ctx context.Context, webhookID string, size int32, token string) ([]domain.Delivery, string, error) {
	if _, err := admin(ctx); err != nil {
		return nil, "", err
	}
	list := "deliveries/" + webhookID // a token of one log is refused by another
	before, n, err := page(list, token, size)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.store.GetWebhook(ctx, webhookID); err != nil {
		return nil, "", appkit.NotFound(err, "webhook", webhookID)
	}
	ds, err := s.store.ListDeliveries(ctx, webhookID, before, n+1)
	if err != nil {
		return nil, "", err
	}
	ds, next := paging.Trim(ds, n, list, func(d domain.Delivery) []string { return bySeq(d.Seq) })
	return ds, next, nil
}

// GetDelivery returns one delivery of a subscription.
func (s *Service) GetDelivery(ctx context.Context, webhookID, id string) (domain.Delivery, error) {
	if _, err := admin(ctx); err != nil {
		return domain.Delivery{}, err
	}
	d, err := s.store.GetDelivery(ctx, webhookID, id)
	return d, appkit.NotFound(err, "delivery", id)
}

// Ping queues a webhook.ping event for the subscription, disabled or not.
func (s *Service) Ping(ctx context.Context, id string) (domain.Delivery, error) {
	by, err := admin(ctx)
	if err != nil {
		return domain.Delivery{}, err
	}
	now := s.clock()
	eventID := uuid.Must(uuid.NewV7()).String()
	body, err := encodeBody(domain.PingEventType, now, map[string]string{"webhookId": id, "actorId": by})
	if err != nil {
		return domain.Delivery{}, err
	}
	d, err := s.store.AddDelivery(ctx, s.newDelivery(id, eventID, domain.PingEventType, "webhooks/"+id, body, now))
	if err != nil {
		return domain.Delivery{}, appkit.NotFound(err, "webhook", id)
	}
	s.kick()
	return d, nil
}

// Redeliver sends a delivery again: Pending, due now, with a fresh retry window; the same
// event id (webhook-id) and body.
func (s *Service) Redeliver(ctx context.Context, webhookID, id string) (domain.Delivery, error) {
	if _, err := admin(ctx); err != nil {
		return domain.Delivery{}, err
	}
	now := s.clock()
	d, err := s.store.Redeliver(ctx, webhookID, id, now, now.Add(s.retry.Window))
	if err != nil {
		return domain.Delivery{}, appkit.NotFound(err, "delivery", id)
	}
	s.kick()
	return d, nil
}

func (s *Service) newDelivery(webhookID, eventID, eventType, subject string, body []byte, now time.Time) domain.Delivery {
	return domain.Delivery{
		ID: uuid.Must(uuid.NewV7()).String(), WebhookID: webhookID, EventID: eventID, EventType: eventType,
		Subject: subject, Body: body, Status: domain.Pending, NextAttemptTime: now,
		RetryUntil: now.Add(s.retry.Window), CreateTime: now, UpdateTime: now,
	}
}

// page reads a list call's page token (the Seq it continues from, 0 on the first page) and
// size (the default when 0).
func page(list, token string, size int32) (seq int64, n int, err error) {
	if seq, err = paging.DecodeInt(list, token); err != nil {
		return 0, 0, err
	}
	n, err = paging.Size(size)
	return seq, n, err
}

// bySeq is the page-token key of a list ordered by Seq.
func bySeq(seq int64) []string { return []string{strconv.FormatInt(seq, 10)} }
