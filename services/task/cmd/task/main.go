// Command task runs the task service on its own (the distributed mode).
//
//	task [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	task migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It calls identity at GRANTFLOW_IDENTITY_ADDR (credentials of public calls, and the people
// of reassignments and standalone tasks) and relays its outbox to the EventSinkService of
// audit (GRANTFLOW_AUDIT_ADDR), notification (GRANTFLOW_NOTIFICATION_ADDR) and request
// (GRANTFLOW_REQUEST_ADDR). It serves EventSinkService for identity's user events (a user's
// new manager moves their pending manager reviews).
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/task"
)

func main() { kit.Exit(task.Kit) }
