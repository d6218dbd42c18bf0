// Package notification is the notification service: webhook subscriptions and their
// deliveries (issue 17), fed by every service's outbox relay through
// grantflow.events.v1.EventSinkService. Notification settings and sent messages (email,
// Slack) are to come.
//
// Kit is its one constructor (pkg/kit), used by its binary (cmd/notification) and by the
// all-in-one process: New assembles it on the memory or the PostgreSQL engine; Register
// puts WebhookService and the event sink on a server; Run is the dispatcher that sends due
// deliveries. README.md says what a delivery looks like and how to verify it.
package notification
