// Command grantflow is the server and its command line. grantflow serve is the all-in-one
// process: every service and the gateway in one process, still talking real gRPC to each
// other, through an in-memory listener of the shared server (no socket), on the memory
// engine unless GRANTFLOW_POSTGRES_URL is set, with a demo organization seeded and printed
// (GRANTFLOW_DEMO=0 skips it). The other commands
// are the REST client (internal/cli).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/grantflow/grantflow/cmd/grantflow/internal/cli"
	"github.com/grantflow/grantflow/gateway"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/lifecycle"
	"github.com/grantflow/grantflow/pkg/process"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.ProcessEnv(), cli.Server{Serve: run, SeedDemo: seedDemoRemote}))
}

// run is grantflow serve.
func run(args []string) error {
	cfg, err := config.Load("grantflow", args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app, err := start(ctx, cfg, os.Stdout, process.Options{AllowRandomSecret: true})
	if err != nil {
		if app != nil {
			_ = app.p.Shutdown()
		}
		return err
	}
	<-ctx.Done()
	app.p.Log.Info("shutting down")
	return app.p.Shutdown()
}

// allInOne is a started all-in-one process.
type allInOne struct {
	p        *process.Process
	services *services
	// mem is the shared server's in-memory listener: the services and the gateway call
	// each other through it; the TCP address grpcAddr is for clients outside the process.
	mem      *process.InMemory
	grpcAddr string
	httpAddr string
	demo     *demoOrg
}

// start brings every part up; stop it with a.p.Shutdown().
func start(ctx context.Context, cfg config.Config, out *os.File, po process.Options) (*allInOne, error) {
	p, err := process.New(ctx, cfg, "grantflow", po)
	if err != nil {
		return nil, err
	}
	a := &allInOne{p: p}
	if cfg.PostgresURL == "" {
		p.Log.Warn("memory engine: every service keeps its data in this process only; nothing survives a restart; not for production (set GRANTFLOW_POSTGRES_URL)")
	}
	bootstrapKey := cfg.BootstrapAdminKey
	if bootstrapKey == "" && cfg.Demo {
		b := make([]byte, 24)
		_, _ = rand.Read(b)
		bootstrapKey = "gf_bootstrap_" + hex.EncodeToString(b)
	}
	grpcLis, err := net.Listen("tcp", cfg.GRPCAddr)
	if err != nil {
		return a, fmt.Errorf("listen %s: %w", cfg.GRPCAddr, err)
	}
	a.grpcAddr = loopback(grpcLis.Addr())
	// The services and the gateway call each other through memory: the one server below
	// serves both listeners, with the same interceptors and stats handlers.
	a.mem = process.NewInMemory()

	svcs, err := newServices(ctx, cfg, p, a.mem, bootstrapKey)
	if err != nil {
		grpcLis.Close()
		return a, err
	}
	a.services = svcs
	srv, _, err := p.SharedServer(svcs.serverAuth(), svcs.Names()...)
	if err != nil {
		grpcLis.Close()
		return a, err
	}
	svcs.register(srv)
	for _, lis := range []net.Listener{grpcLis, a.mem.Listener()} {
		go func() {
			if err := srv.Serve(lis); err != nil {
				p.Log.Error("grpc server stopped", "listener", lis.Addr().Network(), "error", err.Error())
			}
		}()
	}
	p.Cleanups.Add("grpc server", lifecycle.StopGRPC(srv))
	svcs.run(ctx)
	p.Log.Info("serving gRPC", "addr", grpcLis.Addr().String())

	// The gateway reaches the services over real gRPC, as in the distributed mode: here
	// every backend is the shared server, through one in-memory connection.
	gw, err := p.DialInMemory(gateway.Name, a.mem)
	if err != nil {
		return a, err
	}
	consoleDemo := &gateway.ConsoleDemo{}
	ready := svcs.ready()
	ready["grpc"] = gateway.GRPCHealth(gw)
	handler, err := gateway.New(ctx, gateway.Options{
		Logger: p.Log.With("component", gateway.Name),
		// Identity is in this process: the gateway authenticates people as the shared
		// server does, through identity's own authenticator and its principal cache (prefix
		// "gf:identity:", which identity's invalidations reach: offboarding, revoked keys),
		// with no call to IdentityInternalService/Authenticate in between.
		Authenticator:  svcs.serverAuth().Authenticator,
		Backends:       gateway.Backends{Identity: gw, Policy: gw, Request: gw, Task: gw, Audit: gw, Review: gw, Notification: gw},
		Ready:          ready,
		TracerProvider: p.Tracer(gateway.Name),
		MeterProvider:  p.Meter(),
		Metrics:        p.PublicMetrics(),
		Limiter:        limiter(cfg, p),
		ConsoleDemo:    consoleDemo,
		ConsoleOIDC:    gateway.ConsoleOIDC{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCAudience},
		AuthFailures:   p.AuthFailures,
		StreamRecheck:  cfg.StreamRecheck,
	})
	if err != nil {
		return a, err
	}
	httpLis, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return a, fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	a.httpAddr = loopback(httpLis.Addr())
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	go func() {
		if err := hs.Serve(httpLis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.Log.Error("http server stopped", "error", err.Error())
		}
	}()
	p.Cleanups.Add("http server", hs.Shutdown)
	p.Log.Info("serving REST", "addr", httpLis.Addr().String())

	if cfg.Demo {
		demo, err := seedDemo(ctx, a.grpcAddr, p, bootstrapKey)
		if err != nil {
			return a, fmt.Errorf("demo organization: %w", err)
		}
		a.demo = demo
		consoleDemo.Set(demo.consolePeople())
		if cfg.PostgresURL != "" {
			demo.storage = "PostgreSQL: the demo organization stays in the database (start again with GRANTFLOW_DEMO=0)."
		}
		release := p.HoldLogs() // the printout is never cut by log lines
		demo.print(out, a.httpAddr, a.grpcAddr)
		release()
	}
	return a, nil
}

func loopback(addr net.Addr) string {
	tcp := addr.(*net.TCPAddr)
	if tcp.IP.IsUnspecified() {
		return fmt.Sprintf("127.0.0.1:%d", tcp.Port)
	}
	return tcp.String()
}

func limiter(cfg config.Config, p *process.Process) *gateway.Limiter {
	if cfg.RateLimit == 0 {
		return nil
	}
	return gateway.NewLimiter(p.Redis, cfg.RateLimit, 2*cfg.RateLimit, p.Log)
}
