// Command identity runs the identity service on its own (the distributed mode).
//
//	identity            serve gRPC on GRANTFLOW_GRPC_ADDR
//	identity migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/services/identity"
	"github.com/grantflow/grantflow/services/identity/internal/store/postgres"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "identity:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	migrate := len(args) > 0 && args[0] == "migrate"
	if migrate {
		args = args[1:]
	}
	cfg, err := config.Load("identity", args)
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
	p, err := process.New(ctx, cfg, identity.Name, process.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = p.Shutdown() }()
	var auditSink outbox.Sink
	if cfg.AuditAddr != "" {
		conn, err := p.Dial(identity.Name, cfg.AuditAddr)
		if err != nil {
			return err
		}
		auditSink = outbox.GRPCSink(eventsv1.NewEventSinkServiceClient(conn))
	}
	// Onboarding and offboarding are the request service's triggers.
	var requestSink outbox.Sink
	if cfg.RequestAddr != "" {
		conn, err := p.Dial(identity.Name, cfg.RequestAddr)
		if err != nil {
			return err
		}
		requestSink = outbox.GRPCSink(eventsv1.NewEventSinkServiceClient(conn))
	}
	svc, err := identity.New(ctx, identity.Options{
		Logger: p.Log, PostgresURL: cfg.PostgresURL, Cache: p.Cache("gf:identity:"),
		BootstrapAdminKey: cfg.BootstrapAdminKey, OIDCIssuer: cfg.OIDCIssuer, OIDCAudience: cfg.OIDCAudience,
		AuditSink: auditSink, RequestSink: requestSink,
	})
	if err != nil {
		return err
	}
	p.Cleanups.AddFunc("identity store", svc.Close)
	srv, _, err := p.Server(identity.Name, auth.ServerOptions{Authenticator: svc.Authenticator(), InternalOnly: identity.InternalOnly})
	if err != nil {
		return err
	}
	svc.Register(srv)
	p.Go(ctx, "identity relays", svc.RunRelays)
	if _, err := p.Serve(identity.Name, srv, cfg.GRPCAddr); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
