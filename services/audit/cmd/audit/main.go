// Command audit runs the audit service on its own (the distributed mode), and verifies
// exports offline.
//
//	audit [serve]        serve gRPC on GRANTFLOW_GRPC_ADDR
//	audit migrate        apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//	audit verify-export  verify an export against the public key and kept checkpoints
//	audit keygen         print a new signing key (for GRANTFLOW_AUDIT_SIGNING_KEY) and its public key
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/services/audit"
	"github.com/grantflow/grantflow/services/audit/internal/store/postgres"
)

// errNotOK is a verification that ran and found the export bad (exit status 1).
var errNotOK = errors.New("verification failed")

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "audit:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args)
	case "migrate":
		return migrate(args)
	case "verify-export":
		return verifyExport(args, stdout, stderr)
	case "keygen":
		return keygen(stdout)
	}
	return fmt.Errorf("unknown command %q: want serve, migrate, verify-export or keygen", cmd)
}

func migrate(args []string) error {
	cfg, _, err := loadConfig(args)
	if err != nil {
		return err
	}
	if cfg.PostgresURL == "" {
		return fmt.Errorf("migrate needs GRANTFLOW_POSTGRES_URL")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return pgstore.Migrate(ctx, postgres.Options(cfg.PostgresURL))
}

func serve(args []string) error {
	cfg, ac, err := loadConfig(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := process.New(ctx, cfg, audit.Name, process.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = p.Shutdown() }()
	// People calling audit directly are authenticated by identity. The cache shares
	// identity's prefix, so identity's invalidation of principals reaches it.
	identityConn, err := p.Dial(audit.Name, cfg.IdentityAddr, "grantflow.identity.v1.IdentityInternalService/Authenticate")
	if err != nil {
		return err
	}
	authn := auth.Cached(auth.Identity(identityv1.NewIdentityInternalServiceClient(identityConn)), p.Cache("gf:identity:"), auth.DefaultPrincipalTTL)
	// Who may see a request's events is the request service's rule.
	requestConn, err := p.Dial(audit.Name, cfg.RequestAddr, "grantflow.request.v1.RequestService/GetRequest")
	if err != nil {
		return err
	}
	svc, err := audit.New(ctx, audit.Options{
		Logger: p.Log, PostgresURL: cfg.PostgresURL, SigningKey: ac.signingKey,
		CheckpointEvery: ac.checkpointEvery, CheckpointInterval: ac.checkpointInterval,
		Visibility: audit.RequestServiceVisibility(requestConn),
	})
	if err != nil {
		return err
	}
	p.Cleanups.AddFunc("audit store", svc.Close)
	srv, _, err := p.Server(audit.Name, auth.ServerOptions{Authenticator: authn, InternalOnly: audit.InternalOnlyWithEventSink})
	if err != nil {
		return err
	}
	svc.Register(srv)
	// Producers that deliver through the generic EventSinkService (outbox.GRPCSink) reach
	// audit too; on its own server nothing else claims that service name.
	svc.RegisterEventSink(srv)
	p.Go(ctx, "audit checkpointer", svc.Run)
	if _, err := p.Serve(audit.Name, srv, cfg.GRPCAddr); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}
