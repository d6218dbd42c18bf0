// Command task runs the task service on its own (the distributed mode).
//
//	task            serve gRPC on GRANTFLOW_GRPC_ADDR
//	task migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// It calls identity at GRANTFLOW_IDENTITY_ADDR (credentials of public calls, and the people
// of reassignments and standalone tasks) and relays its outbox to the EventSinkService of
// audit (GRANTFLOW_AUDIT_ADDR) and of request (GRANTFLOW_REQUEST_ADDR).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/services/task"
	"github.com/grantflow/grantflow/services/task/internal/store/postgres"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "task:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	migrate := len(args) > 0 && args[0] == "migrate"
	if migrate {
		args = args[1:]
	}
	cfg, err := config.Load("task", args)
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
	p, err := process.New(ctx, cfg, task.Name, process.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = p.Shutdown() }()

	idConn, err := p.Dial(task.Name, cfg.IdentityAddr,
		"grantflow.identity.v1.IdentityInternalService/Authenticate", "grantflow.identity.v1.IdentityInternalService/GetFacts")
	if err != nil {
		return err
	}
	identity := identityv1.NewIdentityInternalServiceClient(idConn)
	sink := func(addr string) (outbox.Sink, error) {
		if addr == "" {
			return nil, nil
		}
		conn, err := p.Dial(task.Name, addr)
		if err != nil {
			return nil, err
		}
		return outbox.GRPCSink(eventsv1.NewEventSinkServiceClient(conn)), nil
	}
	auditSink, err := sink(cfg.AuditAddr)
	if err != nil {
		return err
	}
	requestSink, err := sink(cfg.RequestAddr)
	if err != nil {
		return err
	}
	svc, err := task.New(ctx, task.Options{
		Logger: p.Log, PostgresURL: cfg.PostgresURL, Identity: identity,
		AuditSink: auditSink, RequestSink: requestSink,
	})
	if err != nil {
		return err
	}
	p.Cleanups.AddFunc("task store", svc.Close)
	// Public calls carry a user's credential: identity turns it into a principal, through
	// Redis when configured. The cache shares identity's prefix, so identity's invalidations
	// (offboarding, revoked keys) reach it at once rather than after DefaultPrincipalTTL.
	authn := auth.Cached(auth.Identity(identity), p.Cache("gf:identity:"), auth.DefaultPrincipalTTL)
	srv, _, err := p.Server(task.Name, auth.ServerOptions{Authenticator: authn, InternalOnly: task.InternalOnly})
	if err != nil {
		return err
	}
	svc.Register(srv)
	p.Go(ctx, "task relays", svc.RunRelays)
	if _, err := p.Serve(task.Name, srv, cfg.GRPCAddr); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
