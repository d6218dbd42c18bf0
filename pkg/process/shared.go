package process

import (
	"context"
	"strings"
	"sync"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/stats"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/grpcserver"
)

// ServiceOf names the Grantflow service that owns a gRPC method:
// "/grantflow.identity.v1.IdentityService/GetUser" -> "grantflow-identity".
func ServiceOf(fullMethod string) string {
	rest, ok := strings.CutPrefix(fullMethod, "/grantflow.")
	if !ok {
		return "grantflow"
	}
	pkg, _, _ := strings.Cut(rest, ".")
	return "grantflow-" + pkg
}

// SharedServer is one gRPC server for several services (the all-in-one process). Its
// stats handler hands each call to the OpenTelemetry handler of the service that owns the
// method, so every server span still carries its own service's service.name, and every
// server metric its service.name label.
func (p *Process) SharedServer(authOpts auth.ServerOptions) (*grpc.Server, *health.Server, error) {
	if authOpts.Signer == nil {
		authOpts.Signer = p.Signer
	}
	if authOpts.Failures == nil {
		authOpts.Failures = p.AuthFailures
	}
	return grpcserver.New(grpcserver.Options{
		Logger:       p.Log,
		Auth:         authOpts,
		StatsHandler: &byService{p: p, handlers: map[string]stats.Handler{}},
	})
}

type byService struct {
	p        *Process
	mu       sync.Mutex
	handlers map[string]stats.Handler
}

type handlerKey struct{}

func (b *byService) handler(service string) stats.Handler {
	b.mu.Lock()
	defer b.mu.Unlock()
	h, ok := b.handlers[service]
	if !ok {
		h = otelgrpc.NewServerHandler(b.p.otelOptions(service)...)
		b.handlers[service] = h
	}
	return h
}

func (b *byService) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	h := b.handler(ServiceOf(info.FullMethodName))
	return h.TagRPC(context.WithValue(ctx, handlerKey{}, h), info)
}

func (b *byService) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if h, ok := ctx.Value(handlerKey{}).(stats.Handler); ok {
		h.HandleRPC(ctx, s)
	}
}

func (b *byService) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (b *byService) HandleConn(context.Context, stats.ConnStats)                       {}
