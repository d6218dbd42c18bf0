// Command notification runs the notification service on its own (the distributed mode).
//
//	notification [serve]   serve gRPC on GRANTFLOW_GRPC_ADDR until SIGINT or SIGTERM
//	notification migrate   apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// Beyond the kit's settings it reads GRANTFLOW_WEBHOOK_ALLOW_PRIVATE (1: webhooks may
// reach private addresses over http; development and tests) and GRANTFLOW_WEBHOOK_LEASE
// (how long an attempt holds its delivery; default 1m).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/services/notification"
	"github.com/grantflow/grantflow/services/notification/internal/store/postgres"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if err == flag.ErrHelp {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "notification:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	cfg := config.Default()
	fs := flag.NewFlagSet("notification", flag.ContinueOnError)
	if err := cfg.Register(fs, os.LookupEnv); err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	opts, err := notification.OptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch cmd {
	case "migrate":
		if cfg.PostgresURL == "" {
			return fmt.Errorf("migrate needs GRANTFLOW_POSTGRES_URL")
		}
		return pgstore.Migrate(ctx, postgres.Options(cfg.PostgresURL))
	case "serve":
	default:
		return fmt.Errorf("unknown command %q: want serve or migrate", cmd)
	}
	p, err := process.New(ctx, cfg, notification.Name, process.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = p.Shutdown() }()
	identityConn, err := p.Dial(notification.Name, cfg.IdentityAddr, "grantflow.identity.v1.IdentityInternalService/Authenticate")
	if err != nil {
		return err
	}
	authn := auth.Cached(auth.Identity(identityv1.NewIdentityInternalServiceClient(identityConn)), p.Cache("gf:identity:"), auth.DefaultPrincipalTTL)
	opts.Logger, opts.PostgresURL = p.Log, cfg.PostgresURL
	svc, err := notification.New(ctx, opts)
	if err != nil {
		return err
	}
	p.Cleanups.AddFunc("notification store", svc.Close)
	srv, _, err := p.Server(notification.Name, auth.ServerOptions{Authenticator: authn, InternalOnly: notification.InternalOnly})
	if err != nil {
		return err
	}
	svc.Register(srv)
	p.Go(ctx, "notification dispatcher", svc.Run)
	if _, err := p.Serve(notification.Name, srv, cfg.GRPCAddr); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
