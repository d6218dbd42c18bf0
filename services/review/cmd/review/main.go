// Command review runs the access review service on its own (the distributed mode).
//
//	review [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	review migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It calls identity at GRANTFLOW_IDENTITY_ADDR (credentials of public calls, the snapshot
// of accesses, facts) and request at GRANTFLOW_REQUEST_ADDR (open requests, the requests of
// decisions), and relays its outbox to the EventSinkService of audit (GRANTFLOW_AUDIT_ADDR).
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/review"
)

func main() { kit.Exit(review.Kit) }
