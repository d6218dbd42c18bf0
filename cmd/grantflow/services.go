package main

import (
	"context"

	"google.golang.org/grpc"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/services/audit"
	"github.com/grantflow/grantflow/services/identity"
	"github.com/grantflow/grantflow/services/notification"
	"github.com/grantflow/grantflow/services/policy"
	"github.com/grantflow/grantflow/services/request"
	"github.com/grantflow/grantflow/services/review"
	"github.com/grantflow/grantflow/services/task"
)

// allServices are the services of the all-in-one process, each through the one
// constructor its own binary uses (pkg/kit). Adding a service is one line here. Audit comes
// first (every outbox delivers to it): background work starts in this order and stops in
// reverse, so the relays stop before the checkpointer signs what they delivered. Notification
// (every outbox delivers to it too) comes next, for the same reason.
var allServices = []kit.Service{
	audit.Kit,
	notification.Kit,
	identity.Kit,
	policy.Kit,
	task.Kit,
	review.Kit,
	request.Kit, // last: the others' connections to it are lazy
}

// services are the services this process runs, all on one shared gRPC server, each
// calling the others through its own client connection to that server's in-memory
// listener (real gRPC, with the internal caller token, the retry policy and spans under its
// own service.name, as in the distributed mode, but no socket).
type services struct {
	*kit.Set
}

// newServices assembles every service (its store on PostgreSQL when cfg.PostgresURL is
// set) and connects them to the shared server's in-memory listener mem; nothing is served
// yet. bootstrapKey is the Admin key that exists from the start (the demo's, when none is
// configured).
func newServices(ctx context.Context, cfg config.Config, p *process.Process, mem *process.InMemory, bootstrapKey string) (*services, error) {
	cfg.BootstrapAdminKey = bootstrapKey
	set, err := kit.Build(ctx, p, cfg, kit.Shared(p, mem), allServices...)
	if err != nil {
		return nil, err
	}
	return &services{set}, nil
}

// register puts every service on the shared server.
func (s *services) register(srv *grpc.Server) { s.Register(srv) }

// serverAuth authenticates the shared server's callers: people's credentials through
// identity's own cached authenticator, services by their internal token.
func (s *services) serverAuth() auth.ServerOptions {
	o, _ := s.ServerAuth() // identity is in the set: no dialing, no error
	return o
}

// run starts the background work until ctx ends.
func (s *services) run(ctx context.Context) { s.Run(ctx) }

// ready are the readiness checks of every service's store.
func (s *services) ready() map[string]func(context.Context) error { return s.Ready() }
