package grpcapi

import (
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/task/internal/app"
)

// Sink implements grantflow.events.v1.EventSinkService: identity's user events, which
// app.Service.Ingest applies (a user's new manager moves their pending manager reviews).
type Sink = grpcserver.Sink[*app.Service]
