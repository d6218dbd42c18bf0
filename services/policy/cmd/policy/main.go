// Command policy runs the policy service on its own (the distributed mode).
//
//	policy            serve gRPC on GRANTFLOW_GRPC_ADDR
//	policy migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
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
	"github.com/grantflow/grantflow/services/policy"
	"github.com/grantflow/grantflow/services/policy/internal/store/postgres"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "policy:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	migrate := len(args) > 0 && args[0] == "migrate"
	if migrate {
		args = args[1:]
	}
	cfg, err := config.Load("policy", args)
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
	p, err := process.New(ctx, cfg, policy.Name, process.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = p.Shutdown() }()

	// Identity authenticates our callers and confirms what policies name. Authenticate
	// and GetFacts only read: they may be retried when identity is briefly unavailable.
	identityConn, err := p.Dial(policy.Name, cfg.IdentityAddr,
		"grantflow.identity.v1.IdentityInternalService/Authenticate",
		"grantflow.identity.v1.IdentityInternalService/GetFacts")
	if err != nil {
		return err
	}
	identity := identityv1.NewIdentityInternalServiceClient(identityConn)
	var auditSink outbox.Sink
	if cfg.AuditAddr != "" {
		conn, err := p.Dial(policy.Name, cfg.AuditAddr)
		if err != nil {
			return err
		}
		auditSink = outbox.GRPCSink(eventsv1.NewEventSinkServiceClient(conn))
	}
	cache := p.Cache("gf:policy:")
	svc, err := policy.New(ctx, policy.Options{
		Logger: p.Log, PostgresURL: cfg.PostgresURL, Cache: cache, Identity: identity, AuditSink: auditSink,
	})
	if err != nil {
		return err
	}
	p.Cleanups.AddFunc("policy store", svc.Close)
	// Credentials are authenticated by identity, through the shared principal cache that
	// identity invalidates on every change of a principal.
	authn := auth.Cached(auth.Identity(identity), p.Cache("gf:identity:"), auth.DefaultPrincipalTTL)
	srv, _, err := p.Server(policy.Name, auth.ServerOptions{Authenticator: authn})
	if err != nil {
		return err
	}
	svc.Register(srv)
	p.Go(ctx, "policy relays", svc.RunRelays)
	if _, err := p.Serve(policy.Name, srv, cfg.GRPCAddr); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
