package grpcapi

import (
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/notification/internal/app"
)

// Sink implements grantflow.events.v1.EventSinkService: every service's outbox relay
// delivers here, and app.Service.Ingest fans each event out to webhooks, email and Slack.
type Sink = grpcserver.Sink[*app.Service]
