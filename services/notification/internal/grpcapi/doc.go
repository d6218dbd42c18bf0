// Package grpcapi holds the notification service's gRPC handlers: proto in, one call of
// the application layer, proto out. Public implements grantflow.notification.v1.
// WebhookService; Sink implements grantflow.events.v1.EventSinkService, through which
// every service's outbox relay delivers its events.
//
// grpcapi imports the generated code, the application layer and the domain; no store.
package grpcapi
