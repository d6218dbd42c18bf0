package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/grantflow/grantflow/pkg/config"
)

// seedDemoRemote is `grantflow seed-demo`: it seeds the demo organization into a running
// distributed deployment (make up), calling each service at its GRANTFLOW_<SERVICE>_ADDR
// as the bootstrap admin (GRANTFLOW_BOOTSTRAP_ADMIN_KEY), and prints it as the all-in-one
// does, with the gateway at GRANTFLOW_HTTP_ADDR.
func seedDemoRemote(args []string) error {
	cfg, err := config.Load("grantflow", args)
	if err != nil {
		return err
	}
	if cfg.BootstrapAdminKey == "" {
		return errors.New("seed-demo needs GRANTFLOW_BOOTSTRAP_ADMIN_KEY (the deployment's bootstrap admin)")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	dial := func(addr string) (*grpc.ClientConn, error) {
		return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	var conns demoConns
	for _, c := range []struct {
		addr string
		to   *grpc.ClientConnInterface
	}{{cfg.IdentityAddr, &conns.identity}, {cfg.PolicyAddr, &conns.policy}, {cfg.RequestAddr, &conns.request}, {cfg.TaskAddr, &conns.task}, {cfg.ReviewAddr, &conns.review}} {
		conn, err := dial(c.addr)
		if err != nil {
			return err
		}
		defer conn.Close()
		*c.to = conn
	}
	d, err := seedDemoOn(ctx, conns, cfg.BootstrapAdminKey)
	if err != nil {
		return fmt.Errorf("demo organization: %w", err)
	}
	httpAddr := cfg.HTTPAddr
	if host, port, err := net.SplitHostPort(httpAddr); err == nil && (host == "" || host == "0.0.0.0" || host == "::") {
		httpAddr = net.JoinHostPort("127.0.0.1", port)
	}
	d.storage = "Seeded into the running deployment (PostgreSQL): it stays until the database is dropped."
	d.print(os.Stdout, httpAddr, fmt.Sprintf("one port per service (identity %s, request %s, ...)", cfg.IdentityAddr, cfg.RequestAddr))
	return nil
}
