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

	"google.golang.org/grpc"

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
	// One connection per backend, each with the retry policy the protos declare
	// (pkg/grpcclient: reads and idempotent calls are retried when a backend is briefly
	// UNAVAILABLE; other writes never are).
	var conns [7]*grpc.ClientConn
	for i, name := range []string{"identity", "policy", "request", "task", "audit", "review", "notification"} {
		if conns[i], err = p.Dial(gateway.Name, cfg.Addr(name)); err != nil {
			return err
		}
	}
	identity, policy, request, task, audit, review, notification := conns[0], conns[1], conns[2], conns[3], conns[4], conns[5], conns[6]
	backends := gateway.Backends{Identity: identity, Policy: policy, Request: request, Task: task, Audit: audit, Review: review, Notification: notification}
	ready := map[string]func(context.Context) error{
		"identity":     gateway.GRPCHealth(identity),
		"policy":       gateway.GRPCHealth(policy),
		"request":      gateway.GRPCHealth(request),
		"task":         gateway.GRPCHealth(task),
		"audit":        gateway.GRPCHealth(audit),
		"review":       gateway.GRPCHealth(review),
		"notification": gateway.GRPCHealth(notification),
	}
	if p.Redis != nil {
		ready["redis"] = func(ctx context.Context) error { return p.Redis.Ping(ctx).Err() }
	}
	var lim *gateway.Limiter
	if cfg.RateLimit > 0 {
		lim = gateway.NewLimiter(p.Redis, cfg.RateLimit, 2*cfg.RateLimit, p.Log)
	}
	h, err := gateway.New(ctx, gateway.Options{
		Logger: p.Log,
		// Identity's prefix: its invalidations (offboarding, revoked keys) reach this cache.
		Authenticator:  auth.Cached(auth.Identity(identityv1.NewIdentityInternalServiceClient(identity)), p.Cache("gf:identity:"), auth.DefaultPrincipalTTL),
		Backends:       backends,
		Ready:          ready,
		TracerProvider: p.Tracer(gateway.Name),
		MeterProvider:  p.Meter(),
		Metrics:        p.PublicMetrics(),
		Limiter:        lim,
		ConsoleOIDC:    gateway.ConsoleOIDC{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCAudience},
		AuthFailures:   p.AuthFailures,
		StreamRecheck:  cfg.StreamRecheck,
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
