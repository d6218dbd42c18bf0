// Command identity runs the identity service on its own (the distributed mode).
//
//	identity [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	identity migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It relays its outbox to the EventSinkService of audit (GRANTFLOW_AUDIT_ADDR) and of
// request (GRANTFLOW_REQUEST_ADDR: onboarding and offboarding triggers).
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/identity"
)

func main() { kit.Exit(identity.Kit) }
