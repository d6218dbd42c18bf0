package process

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/grpcclient"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/pkg/lifecycle"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/pkg/telemetry"
)

// Process is the shared equipment of one OS process.
type Process struct {
	Config config.Config
	Log    *slog.Logger
	Signer *auth.Signer
	// AuthFailures limits failed and unauthenticated calls per client address, on every
	// gRPC server of the process and at its gateway (GRANTFLOW_AUTH_FAILURE_LIMIT); nil: off.
	AuthFailures *auth.FailureLimiter
	Redis        *redis.Client // nil without GRANTFLOW_REDIS_URL
	Cleanups     *lifecycle.Cleanups

	exporter    sdktrace.SpanExporter
	logs        *telemetry.HeldWriter
	extra       []sdktrace.TracerProviderOption
	mu          sync.Mutex
	tps         map[string]*sdktrace.TracerProvider
	metrics     *telemetry.Metrics
	metricsAddr string
	onServe     func(ctx context.Context, service, fullMethod string)
}

// Options tune New.
type Options struct {
	// LogWriter receives the logs (default stderr): JSON, or short text on a terminal.
	LogWriter io.Writer
	// AllowRandomSecret lets a process without GRANTFLOW_INTERNAL_SECRET make one up. Only
	// the all-in-one process may: in the distributed mode every process must share it.
	AllowRandomSecret bool
	// TracerOptions are added to every TracerProvider (tests add an in-memory exporter).
	TracerOptions []sdktrace.TracerProviderOption
	// OnServe, when set, is told of every call the shared server (SharedServer) serves, as
	// the call begins (before authentication), with the service it is traced as and the
	// call's context, which carries its server span. Tests count the calls with it.
	OnServe func(ctx context.Context, service, fullMethod string)
}

// New prepares a process named name (used in logs).
func New(ctx context.Context, cfg config.Config, name string, o Options) (*Process, error) {
	w := o.LogWriter
	if w == nil {
		w = os.Stderr
	}
	held := &telemetry.HeldWriter{W: w}
	p := &Process{Config: cfg, Log: telemetry.NewLoggerFormat(held, name, cfg.LogLevel, cfg.LogFormat), logs: held, Cleanups: &lifecycle.Cleanups{}, tps: map[string]*sdktrace.TracerProvider{}, extra: o.TracerOptions, onServe: o.OnServe}
	secret := []byte(cfg.InternalSecret)
	if len(secret) == 0 {
		if !o.AllowRandomSecret {
			return nil, fmt.Errorf("GRANTFLOW_INTERNAL_SECRET is required: every process of a deployment must share it")
		}
		buf := make([]byte, 32)
		_, _ = rand.Read(buf)
		secret = []byte(hex.EncodeToString(buf))
	}
	var err error
	if p.Signer, err = auth.NewSigner(secret, name); err != nil {
		return nil, err
	}
	p.AuthFailures = auth.NewFailureLimiter(cfg.AuthFailureLimit)
	if p.exporter, err = telemetry.Exporter(ctx); err != nil {
		return nil, err
	}
	if err := p.startMetrics(name); err != nil {
		_ = p.Shutdown()
		return nil, err
	}
	if cfg.RedisURL != "" {
		if p.Redis, err = rediscache.Open(cfg.RedisURL); err != nil {
			return nil, fmt.Errorf("GRANTFLOW_REDIS_URL: %w", err)
		}
		p.Cleanups.Add("redis", func(context.Context) error { return p.Redis.Close() })
	}
	return p, nil
}

// Tracer returns the TracerProvider of service (created once, flushed at shutdown).
func (p *Process) Tracer(service string) *sdktrace.TracerProvider {
	p.mu.Lock()
	defer p.mu.Unlock()
	if tp, ok := p.tps[service]; ok {
		return tp
	}
	tp, _ := telemetry.NewTracerProvider(service, p.exporter, p.extra...)
	p.tps[service] = tp
	p.Cleanups.Add("tracer "+service, tp.Shutdown)
	return tp
}

// otelOptions make a gRPC stats handler's spans and RED metrics service's.
func (p *Process) otelOptions(service string) []otelgrpc.Option {
	return []otelgrpc.Option{
		otelgrpc.WithTracerProvider(p.Tracer(service)),
		otelgrpc.WithMeterProvider(p.Meter()),
		otelgrpc.WithMetricAttributes(telemetry.ServiceAttr(service)),
	}
}

// HoldLogs keeps the process's log lines back until release is called, so that something
// printed for a person (the demo organization) is never cut by them.
func (p *Process) HoldLogs() (release func()) { return p.logs.Hold() }

// Cache returns a Redis cache with prefix for service (a nil-client cache without Redis).
func (p *Process) Cache(prefix string) *rediscache.Cache {
	if p.Redis == nil {
		return rediscache.New(nil, prefix, p.Log)
	}
	// Entries carry a MAC under the internal secret: writing Redis is not enough to plant
	// a principal (an Admin's) or replay an invalidated one.
	return rediscache.New(p.Redis, prefix, p.Log).WithMAC(p.Signer.DeriveKey("rediscache"))
}

// Server returns a gRPC server whose spans belong to service.
func (p *Process) Server(service string, authOpts auth.ServerOptions) (*grpc.Server, *health.Server, error) {
	if authOpts.Signer == nil {
		authOpts.Signer = p.Signer
	}
	if authOpts.Failures == nil {
		authOpts.Failures = p.AuthFailures
	}
	if authOpts.StreamRecheck == 0 {
		authOpts.StreamRecheck = p.Config.StreamRecheck
	}
	return grpcserver.New(grpcserver.Options{
		Logger:       p.Log.With("component", service),
		Auth:         authOpts,
		StatsHandler: otelgrpc.NewServerHandler(p.otelOptions(service)...),
	})
}

// Dial returns a client connection from service to target, with the retry policy the
// protos declare (grpcclient.ServiceConfig).
func (p *Process) Dial(service, target string) (*grpc.ClientConn, error) {
	return p.dial(service, target, nil)
}

// dial is Dial through dialer (nil: TCP).
func (p *Process) dial(service, target string, dialer func(context.Context, string) (net.Conn, error)) (*grpc.ClientConn, error) {
	conn, err := grpcclient.Dial(target, grpcclient.Options{
		Signer:       p.Signer,
		StatsHandler: otelgrpc.NewClientHandler(p.otelOptions(service)...),
		Dialer:       dialer,
	})
	if err != nil {
		return nil, err
	}
	p.Cleanups.Add("conn "+service+"->"+target, func(context.Context) error { return conn.Close() })
	return conn, nil
}

// Shutdown stops everything in reverse order of start.
func (p *Process) Shutdown() error {
	return p.Cleanups.Shutdown(p.Config.ShutdownTimeout, p.Log)
}
