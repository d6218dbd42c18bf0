// Command notification runs the notification service on its own (the distributed mode).
//
//	notification [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	notification migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It receives every service's events on EventSinkService, authenticates people through
// identity (GRANTFLOW_IDENTITY_ADDR), and sends webhooks; GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1
// lets them reach private addresses (development and tests), GRANTFLOW_WEBHOOK_LEASE sets
// how long an attempt holds its delivery. It sends email (GRANTFLOW_SMTP_URL,
// GRANTFLOW_SMTP_FROM) and Slack direct messages (GRANTFLOW_SLACK_BOT_TOKEN,
// GRANTFLOW_SLACK_API_URL) linking to GRANTFLOW_CONSOLE_URL, asking identity and request
// (GRANTFLOW_REQUEST_ADDR) what the messages need.
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/notification"
)

func main() { kit.Exit(notification.Kit) }
