// Command policy runs the policy service on its own (the distributed mode).
//
//	policy [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	policy migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It calls identity at GRANTFLOW_IDENTITY_ADDR (credentials, and what policies name) and
// relays its outbox to audit's EventSinkService (GRANTFLOW_AUDIT_ADDR).
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/policy"
)

func main() { kit.Exit(policy.Kit) }
