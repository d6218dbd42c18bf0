package kit

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/process"
)

// Main is a service's binary (the distributed mode):
//
//	<name> [serve]    serve gRPC on GRANTFLOW_GRPC_ADDR until SIGINT or SIGTERM
//	<name> migrate    apply the PostgreSQL migrations of GRANTFLOW_POSTGRES_URL and exit
//
// args are the command line without the program name.
func Main(svc Service, args []string) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "migrate") {
		cmd, args = args[0], args[1:]
	}
	cfg, err := config.Load(Short(svc.Name), args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cmd == "migrate" {
		if cfg.PostgresURL == "" {
			return fmt.Errorf("migrate needs GRANTFLOW_POSTGRES_URL")
		}
		return svc.Migrate(ctx, cfg.PostgresURL)
	}
	p, err := process.New(ctx, cfg, svc.Name, process.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = p.Shutdown() }()
	if _, err := ServeAlone(ctx, p, svc); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// ServeAlone assembles svc in p and serves it on its own gRPC server at
// p.Config.GRPCAddr, calling the other services at their configured addresses; it
// returns the set and the address bound.
func ServeAlone(ctx context.Context, p *process.Process, svc Service) (*Set, error) {
	set, err := Build(ctx, p, p.Config, Apart(p), svc)
	if err != nil {
		return nil, err
	}
	authOpts, err := set.ServerAuth()
	if err != nil {
		return nil, err
	}
	srv, _, err := p.Server(svc.Name, authOpts)
	if err != nil {
		return nil, err
	}
	set.Register(srv)
	set.Run(ctx)
	if _, err := p.Serve(svc.Name, srv, p.Config.GRPCAddr); err != nil {
		return nil, err
	}
	return set, nil
}

// Exit is a service binary's whole main: Main with the command line, and on an error the
// message on stderr and exit status 1.
func Exit(svc Service) {
	if err := Main(svc, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, Short(svc.Name)+":", err)
		os.Exit(1)
	}
}
