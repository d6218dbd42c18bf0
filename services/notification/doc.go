// Package notification is the notification service: webhook subscriptions and their
// deliveries (issue 17), fed by every service's outbox relay through
// grantflow.events.v1.EventSinkService. Notification settings and sent messages (email,
// Slack) are to come.
//
// New assembles it on the memory or the PostgreSQL engine; Register puts WebhookService
// and the event sink on a server; Run is the dispatcher that sends due deliveries. The
// binary is cmd/notification, and the all-in-one process uses the same New. README.md
// says what a delivery looks like and how to verify it.
package notification
