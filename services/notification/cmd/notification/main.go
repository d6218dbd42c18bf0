// Command notification runs the notification service on its own (the distributed mode).
//
//	notification [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	notification migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It receives every service's events on EventSinkService, authenticates people through
// identity (GRANTFLOW_IDENTITY_ADDR), and sends webhooks; GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1
// lets them reach private addresses (development and tests), GRANTFLOW_WEBHOOK_LEASE sets
// how long an attempt holds its delivery.
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/notification"
)

func main() { kit.Exit(notification.Kit) }
