package grpcapi

import (
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/services/review/internal/app"
)

// Sink implements grantflow.events.v1.EventSinkService: the events of identity (owners
// of apps) and request (requests opened and closed), which app.Service.Ingest applies to
// block, release and follow items.
type Sink = grpcserver.Sink[*app.Service]
