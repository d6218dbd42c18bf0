// Command request runs the request service on its own (the distributed mode).
//
//	request            serve gRPC on GRANTFLOW_GRPC_ADDR
//	request migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It calls identity, policy and task at GRANTFLOW_IDENTITY_ADDR, GRANTFLOW_POLICY_ADDR and
// GRANTFLOW_TASK_ADDR, and delivers its audit events to GRANTFLOW_AUDIT_ADDR. The agent's
// webhooks: GRANTFLOW_AGENT_WEBHOOKS ("<app id or name>=<url>,...") signed with
// GRANTFLOW_AGENT_WEBHOOK_SECRET.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/services/request"
	"github.com/grantflow/grantflow/services/request/internal/store/postgres"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "request:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	migrate := len(args) > 0 && args[0] == "migrate"
	if migrate {
		args = args[1:]
	}
	cfg, err := config.Load("request", args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if migrate {
		if cfg.PostgresURL == "" {
			return fmt.Errorf("migrate needs GRANTFLOW_POSTGRES_URL")
		}
		return pgstore.Migrate(ctx, postgres.Options(cfg.PostgresURL))
	}
	p, err := process.New(ctx, cfg, request.Name, process.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = p.Shutdown() }()

	idConn, err := p.Dial(request.Name, cfg.IdentityAddr,
		"grantflow.identity.v1.IdentityInternalService/Authenticate", "grantflow.identity.v1.IdentityInternalService/GetFacts",
		"grantflow.identity.v1.IdentityInternalService/ResolveAssignees")
	if err != nil {
		return err
	}
	polConn, err := p.Dial(request.Name, cfg.PolicyAddr, "grantflow.policy.v1.PolicyService/ResolvePolicy")
	if err != nil {
		return err
	}
	taskConn, err := p.Dial(request.Name, cfg.TaskAddr,
		"grantflow.task.v1.TaskInternalService/OpenStep", "grantflow.task.v1.TaskInternalService/CancelTasks",
		"grantflow.task.v1.TaskInternalService/CreateStandaloneTask", "grantflow.task.v1.TaskService/ListTasks")
	if err != nil {
		return err
	}
	var auditSink outbox.Sink
	if cfg.AuditAddr != "" {
		conn, err := p.Dial(request.Name, cfg.AuditAddr)
		if err != nil {
			return err
		}
		auditSink = outbox.GRPCSink(eventsv1.NewEventSinkServiceClient(conn))
	}
	identity := identityv1.NewIdentityInternalServiceClient(idConn)
	svc, err := request.New(ctx, request.Options{
		Logger: p.Log, PostgresURL: cfg.PostgresURL, Identity: identity,
		Policy: policyv1.NewPolicyServiceClient(polConn), Tasks: taskv1.NewTaskInternalServiceClient(taskConn),
		TaskPublic: taskv1.NewTaskServiceClient(taskConn), AuditSink: auditSink, Getenv: os.Getenv,
	})
	if err != nil {
		return err
	}
	p.Cleanups.AddFunc("request store", svc.Close)
	// Public calls carry a user's credential: identity turns it into a principal, through
	// Redis when configured, under identity's prefix so that its invalidations reach it.
	authn := auth.Cached(auth.Identity(identity), p.Cache("gf:identity:"), auth.DefaultPrincipalTTL)
	srv, _, err := p.Server(request.Name, auth.ServerOptions{Authenticator: authn, InternalOnly: request.InternalOnly})
	if err != nil {
		return err
	}
	svc.Register(srv)
	svc.RegisterEventSink(srv)
	p.Go(ctx, "request relays", svc.RunRelays)
	if _, err := p.Serve(request.Name, srv, cfg.GRPCAddr); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
