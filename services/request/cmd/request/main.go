// Command request runs the request service on its own (the distributed mode).
//
//	request [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	request migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It calls identity, policy and task at GRANTFLOW_IDENTITY_ADDR, GRANTFLOW_POLICY_ADDR and
// GRANTFLOW_TASK_ADDR, and delivers its audit events to GRANTFLOW_AUDIT_ADDR. The agent's
// webhooks: GRANTFLOW_AGENT_WEBHOOKS ("<app id or name>=<url>,...") signed with
// GRANTFLOW_AGENT_WEBHOOK_SECRET.
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/request"
)

func main() { kit.Exit(request.Kit) }
