// Command identity runs the identity service on its own (the distributed mode).
//
//	identity [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	identity migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It relays its outbox to the EventSinkService of audit (GRANTFLOW_AUDIT_ADDR),
// notification (GRANTFLOW_NOTIFICATION_ADDR), request (GRANTFLOW_REQUEST_ADDR: onboarding
// and offboarding triggers) and task (GRANTFLOW_TASK_ADDR: a user's new manager). On
// PostgreSQL it needs GRANTFLOW_SECRETS_KEY (or _FILE): it seals apps' connector secrets.
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/identity"
)

func main() { kit.Exit(identity.Kit) }
