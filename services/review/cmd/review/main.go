// Command review runs the access review service on its own (the distributed mode).
//
//	review [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR
//	review migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It calls identity at GRANTFLOW_IDENTITY_ADDR (credentials of public calls, the snapshot
// of accesses, facts), request at GRANTFLOW_REQUEST_ADDR (open requests, the requests of
// decisions) and task at GRANTFLOW_TASK_ADDR (the reviewers' ACCESS_REVIEW tasks), relays
// its outbox to the EventSinkService of audit (GRANTFLOW_AUDIT_ADDR) and notification
// (GRANTFLOW_NOTIFICATION_ADDR), and receives identity's and request's events on its own
// EventSinkService (they find it at GRANTFLOW_REVIEW_ADDR).
package main

import (
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/review"
)

func main() { kit.Exit(review.Kit) }
