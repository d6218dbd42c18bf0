// Command gateway runs the REST edge on its own (the distributed mode), in front of the
// services at GRANTFLOW_<SERVICE>_ADDR.
package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grantflow/grantflow/gateway"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/process"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cfg, err := config.Load("gateway", args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := process.New(ctx, cfg, gateway.Name, process.Options{})
	if err != nil {
		return err
	}
	defer func() { _ = p.Shutdown() }()
	identity, err := p.Dial(gateway.Name, cfg.IdentityAddr, "grantflow.identity.v1.IdentityInternalService/Authenticate")
	if err != nil {
		return err
	}
	policy, err := p.Dial(gateway.Name, cfg.PolicyAddr)
	if err != nil {
		return err
	}
	ready := map[string]func(context.Context) error{
		"identity": grpcHealth(healthpb.NewHealthClient(identity)),
		"policy":   grpcHealth(healthpb.NewHealthClient(policy)),
	}
	if p.Redis != nil {
		ready["redis"] = func(ctx context.Context) error { return p.Redis.Ping(ctx).Err() }
	}
	var lim *gateway.Limiter
	if cfg.RateLimit > 0 {
		lim = gateway.NewLimiter(p.Redis, cfg.RateLimit, 2*cfg.RateLimit, p.Log)
	}
	h, err := gateway.New(ctx, gateway.Options{
		Logger:         p.Log,
		Authenticator:  auth.Cached(auth.Identity(identityv1.NewIdentityInternalServiceClient(identity)), p.Cache("gf:gateway:"), auth.DefaultPrincipalTTL),
		Backends:       gateway.Backends{Identity: identity, Policy: policy},
		Ready:          ready,
		TracerProvider: p.Tracer(gateway.Name),
		Limiter:        lim,
	})
	if err != nil {
		return err
	}
	hs := &http.Server{Addr: cfg.HTTPAddr, Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	p.Cleanups.Add("http server", hs.Shutdown)
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	p.Log.Info("serving REST", "addr", cfg.HTTPAddr)
	select {
	case <-ctx.Done():
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

func grpcHealth(c healthpb.HealthClient) func(context.Context) error {
	return func(ctx context.Context) error {
		res, err := c.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("status %v", res.GetStatus())
		}
		return nil
	}
}
