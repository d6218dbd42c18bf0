package main

import (
	"context"
	"log/slog"
	"os"

	"google.golang.org/grpc"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/services/audit"
	"github.com/grantflow/grantflow/services/identity"
	"github.com/grantflow/grantflow/services/policy"
	"github.com/grantflow/grantflow/services/request"
	"github.com/grantflow/grantflow/services/task"
)

// services are the handles of the services this process runs, all on one shared gRPC
// server, each calling the others through its own client connection to that server's
// loopback address (real gRPC, spans under its own service.name), as in the distributed
// mode.
//
// Adding a service is a few lines here: a field; its New in newServices, dialing what it
// calls with s.dial; its line in register, internalOnly, run and ready. Its REST routes are
// one more field of gateway.Backends in start.
type services struct {
	identity *identity.Service
	policy   *policy.Service
	request  *request.Service
	task     *task.Service
	audit    *audit.Service

	p        *process.Process
	grpcAddr string
}

// Calls that only read, retried by gRPC when the other side is briefly UNAVAILABLE.
// Delivering events is idempotent too (audit stores each event id once).
const (
	identityAuthenticate = "grantflow.identity.v1.IdentityInternalService/Authenticate"
	identityGetFacts     = "grantflow.identity.v1.IdentityInternalService/GetFacts"
	auditDeliverEvents   = "grantflow.audit.v1.AuditIngestService/DeliverEvents"
	requestDeliver       = "grantflow.request.v1.RequestInternalService/DeliverEvents"
)

// newServices opens every service (its store, on PostgreSQL when cfg.PostgresURL is set)
// and connects them; nothing is served yet. Each store's Close is a cleanup of p, so on
// an error p.Shutdown releases what was opened.
func newServices(ctx context.Context, cfg config.Config, p *process.Process, grpcAddr, bootstrapKey string) (*services, error) {
	s := &services{p: p, grpcAddr: grpcAddr}
	logger := func(name string) *slog.Logger { return p.Log.With("component", name) }

	// Audit first: every other service's outbox relays deliver to it.
	var err error
	auditToRequest, err := s.dial(audit.Name, "grantflow.request.v1.RequestService/GetRequest")
	if err != nil {
		return nil, err
	}
	s.audit, err = audit.New(ctx, audit.Options{
		// Who may see a request's events is the request service's rule.
		Visibility: audit.RequestServiceVisibility(auditToRequest),
		Logger:     logger(audit.Name), PostgresURL: cfg.PostgresURL,
		// The audit binary's variable (services/audit/README.md): in production a secret;
		// without it audit makes a development key and warns.
		SigningKey: os.Getenv("GRANTFLOW_AUDIT_SIGNING_KEY"),
	})
	if err != nil {
		return nil, err
	}
	p.Cleanups.AddFunc("audit store", s.audit.Close)

	identityAudit, err := s.auditSink(identity.Name)
	if err != nil {
		return nil, err
	}
	// The request service's inbox (it is made last: the connection is lazy).
	identityToRequest, err := s.dial(identity.Name, requestDeliver)
	if err != nil {
		return nil, err
	}
	s.identity, err = identity.New(ctx, identity.Options{
		Logger: logger(identity.Name), PostgresURL: cfg.PostgresURL, Cache: p.Cache("gf:identity:"),
		BootstrapAdminKey: bootstrapKey, OIDCIssuer: cfg.OIDCIssuer, OIDCAudience: cfg.OIDCAudience,
		AuditSink:   identityAudit,
		RequestSink: request.Sink(identityToRequest), // onboarding and offboarding triggers
	})
	if err != nil {
		return nil, err
	}
	p.Cleanups.AddFunc("identity store", s.identity.Close)

	policyIdentity, err := s.identityClient(policy.Name)
	if err != nil {
		return nil, err
	}
	policyAudit, err := s.auditSink(policy.Name)
	if err != nil {
		return nil, err
	}
	s.policy, err = policy.New(ctx, policy.Options{
		Logger: logger(policy.Name), PostgresURL: cfg.PostgresURL, Cache: p.Cache("gf:policy:"),
		Identity: policyIdentity, AuditSink: policyAudit,
	})
	if err != nil {
		return nil, err
	}
	p.Cleanups.AddFunc("policy store", s.policy.Close)

	taskIdentity, err := s.identityClient(task.Name)
	if err != nil {
		return nil, err
	}
	taskAudit, err := s.auditSink(task.Name)
	if err != nil {
		return nil, err
	}
	taskToRequest, err := s.dial(task.Name, requestDeliver)
	if err != nil {
		return nil, err
	}
	s.task, err = task.New(ctx, task.Options{
		Logger: logger(task.Name), PostgresURL: cfg.PostgresURL, Identity: taskIdentity,
		AuditSink:   taskAudit,
		RequestSink: request.Sink(taskToRequest), // outcomes of the tasks of requests
	})
	if err != nil {
		return nil, err
	}
	p.Cleanups.AddFunc("task store", s.task.Close)

	requestIdentity, err := s.identityClient(request.Name)
	if err != nil {
		return nil, err
	}
	requestPolicy, err := s.dial(request.Name, "grantflow.policy.v1.PolicyService/ResolvePolicy")
	if err != nil {
		return nil, err
	}
	requestTask, err := s.dial(request.Name, "grantflow.task.v1.TaskInternalService/OpenStep",
		"grantflow.task.v1.TaskInternalService/CancelTasks", "grantflow.task.v1.TaskInternalService/CreateStandaloneTask",
		"grantflow.task.v1.TaskService/ListTasks")
	if err != nil {
		return nil, err
	}
	requestAudit, err := s.auditSink(request.Name)
	if err != nil {
		return nil, err
	}
	s.request, err = request.New(ctx, request.Options{
		Logger: logger(request.Name), PostgresURL: cfg.PostgresURL, Identity: requestIdentity,
		Policy: policyv1.NewPolicyServiceClient(requestPolicy), Tasks: taskv1.NewTaskInternalServiceClient(requestTask),
		TaskPublic: taskv1.NewTaskServiceClient(requestTask), AuditSink: requestAudit, Getenv: os.Getenv,
	})
	if err != nil {
		return nil, err
	}
	p.Cleanups.AddFunc("request store", s.request.Close)
	return s, nil
}

// dial connects service from to the shared server; idempotent names the calls gRPC may retry.
func (s *services) dial(from string, idempotent ...string) (*grpc.ClientConn, error) {
	return s.p.Dial(from, s.grpcAddr, idempotent...)
}

// identityClient is identity's internal API as service from calls it.
func (s *services) identityClient(from string) (identityv1.IdentityInternalServiceClient, error) {
	conn, err := s.dial(from, identityAuthenticate, identityGetFacts)
	if err != nil {
		return nil, err
	}
	return identityv1.NewIdentityInternalServiceClient(conn), nil
}

// auditSink delivers service from's outbox to audit's ingestion API. (Not the generic
// EventSinkService: on the shared server that name is left to the request service.)
func (s *services) auditSink(from string) (outbox.Sink, error) {
	conn, err := s.dial(from, auditDeliverEvents)
	if err != nil {
		return nil, err
	}
	return audit.Sink(conn), nil
}

// register puts every service on the shared server.
func (s *services) register(srv *grpc.Server) {
	s.identity.Register(srv)
	s.policy.Register(srv)
	s.request.Register(srv)
	s.task.Register(srv)
	s.audit.Register(srv)
}

// internalOnly reports the methods only Grantflow services may call, across all services
// on the shared server (policy has none).
func internalOnly(fullMethod string) bool {
	return identity.InternalOnly(fullMethod) || request.InternalOnly(fullMethod) || task.InternalOnly(fullMethod) || audit.InternalOnly(fullMethod)
}

// serverAuth authenticates the shared server's callers: people's credentials through
// identity's own cached authenticator, services by their internal token.
func (s *services) serverAuth() auth.ServerOptions {
	return auth.ServerOptions{Authenticator: s.identity.Authenticator(), InternalOnly: internalOnly}
}

// run starts the background work until ctx ends. Shutdown runs in reverse: the relays stop
// first, then the checkpointer signs what they delivered.
func (s *services) run(ctx context.Context) {
	s.p.Go(ctx, "audit checkpointer", s.audit.Run)
	s.p.Go(ctx, "identity relays", s.identity.RunRelays)
	s.p.Go(ctx, "policy relays", s.policy.RunRelays)
	s.p.Go(ctx, "task relays", s.task.RunRelays)
	s.p.Go(ctx, "request relays", s.request.RunRelays)
}

// ready are the readiness checks of every service's store.
func (s *services) ready() map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		"identity": s.identity.Ping,
		"policy":   s.policy.Ping,
		"request":  s.request.Ping,
		"task":     s.task.Ping,
		"audit":    s.audit.Ping,
	}
}
