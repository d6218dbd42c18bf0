package grpcapi

import (
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// WebhookPB converts a subscription; the secret never leaves.
func WebhookPB(w *domain.Webhook) *notificationv1.Webhook {
	return &notificationv1.Webhook{
		Id: w.ID, Url: w.URL, EventTypes: append([]string{}, w.EventTypes...), Description: w.Description,
		Disabled: w.Disabled, CreateTime: ts(w.CreateTime), UpdateTime: ts(w.UpdateTime), CreatedBy: w.CreatedBy,
	}
}

// DeliveryPB converts a delivery; next_attempt_time only while it is pending.
func DeliveryPB(d *domain.Delivery) *notificationv1.Delivery {
	out := &notificationv1.Delivery{
		Id: d.ID, WebhookId: d.WebhookID, EventId: d.EventID, EventType: d.EventType, Subject: d.Subject,
		Status: notificationv1.Delivery_Status(d.Status), Attempts: d.Attempts, LastStatusCode: d.LastStatusCode,
		LastError: d.LastError, CreateTime: ts(d.CreateTime), UpdateTime: ts(d.UpdateTime),
	}
	if d.Status == domain.Pending {
		out.NextAttemptTime = ts(d.NextAttemptTime)
	}
	return out
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// NotificationPB is a message as the API shows it.
func NotificationPB(m *domain.Message) *notificationv1.Notification {
	out := &notificationv1.Notification{
		Id: m.ID, UserId: m.UserID, Channel: notificationv1.Notification_Channel(m.Channel), EventType: m.EventType,
		EventId: m.EventID, Kind: string(m.Notice.Kind), Link: m.Link, Title: m.Title, Text: m.Text, Address: m.Address,
		Status: notificationv1.Notification_Status(m.Status), Attempts: m.Attempts, LastError: m.LastError,
		SendTime: ts(m.SendTime), CreateTime: ts(m.CreateTime), UpdateTime: ts(m.UpdateTime),
	}
	if m.Status == domain.Pending {
		out.NextAttemptTime = ts(m.NextAttemptTime)
	}
	return out
}
