package grpcapi

import (
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// WebhookPB converts a subscription; the secret never leaves.
func WebhookPB(w domain.Webhook) *notificationv1.Webhook {
	return &notificationv1.Webhook{
		Id: w.ID, Url: w.URL, EventTypes: append([]string{}, w.EventTypes...), Description: w.Description,
		Disabled: w.Disabled, CreateTime: pbconv.Time(w.CreateTime), UpdateTime: pbconv.Time(w.UpdateTime), CreatedBy: w.CreatedBy,
	}
}

// DeliveryPB converts a delivery; next_attempt_time only while it is pending.
func DeliveryPB(d domain.Delivery) *notificationv1.Delivery {
	out := &notificationv1.Delivery{
		Id: d.ID, WebhookId: d.WebhookID, EventId: d.EventID, EventType: d.EventType, Subject: d.Subject,
		Status: notificationv1.Delivery_Status(d.Status), Attempts: d.Attempts, LastStatusCode: d.LastStatusCode,
		LastError: d.LastError, CreateTime: pbconv.Time(d.CreateTime), UpdateTime: pbconv.Time(d.UpdateTime),
	}
	if d.Status == domain.Pending {
		out.NextAttemptTime = pbconv.Time(d.NextAttemptTime)
	}
	return out
}

// NotificationPB is a message as the API shows it.
func NotificationPB(m domain.Message) *notificationv1.Notification {
	out := &notificationv1.Notification{
		Id: m.ID, UserId: m.UserID, Channel: notificationv1.Notification_Channel(m.Channel), EventType: m.EventType,
		EventId: m.EventID, Kind: string(m.Notice.Kind), Link: m.Link, Title: m.Title, Text: m.Text, Address: m.Address,
		Status: notificationv1.Notification_Status(m.Status), Attempts: m.Attempts, LastError: m.LastError,
		SendTime: pbconv.Time(m.SendTime), CreateTime: pbconv.Time(m.CreateTime), UpdateTime: pbconv.Time(m.UpdateTime),
	}
	if m.Status == domain.Pending {
		out.NextAttemptTime = pbconv.Time(m.NextAttemptTime)
	}
	return out
}
