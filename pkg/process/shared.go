package process

import (
	"context"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/pkg/outbox"
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

// SharedServer is one gRPC server for the services named (the all-in-one process:
// "grantflow-identity", ...). Its stats handler hands each call to the OpenTelemetry
// handler of the service that owns the method, so every server span still carries its own
// service's service.name, and every server metric its service.name label. An event
// delivery (grantflow.events.v1.EventSinkService) belongs to the receiver its metadata
// names (outbox.ReceiverKey). The handlers are made here, once, for the services named:
// a call, which is traced before it is authenticated, never makes a TracerProvider; a
// method or receiver of no service named is traced as the process's ("grantflow").
func (p *Process) SharedServer(authOpts auth.ServerOptions, services ...string) (*grpc.Server, *health.Server, error) {
	if authOpts.Signer == nil {
		authOpts.Signer = p.Signer
	}
	if authOpts.Failures == nil {
		authOpts.Failures = p.AuthFailures
	}
	return grpcserver.New(grpcserver.Options{
		Logger:       p.Log,
		Auth:         authOpts,
		StatsHandler: p.byService(services),
	})
}

func (p *Process) byService(services []string) *byService {
	b := &byService{handlers: map[string]stats.Handler{}, names: map[stats.Handler]string{}, onServe: p.onServe}
	b.fallback = otelgrpc.NewServerHandler(p.otelOptions("grantflow")...)
	b.names[b.fallback] = "grantflow"
	for _, name := range services {
		b.handlers[name] = otelgrpc.NewServerHandler(p.otelOptions(name)...)
		b.names[b.handlers[name]] = name
	}
	return b
}

// eventsService is what ServiceOf names the event-delivery methods' owner.
const eventsService = "grantflow-events"

// byService routes each call's stats to its service's handler. Its map is fixed once
// built, so it is read without a lock.
type byService struct {
	handlers map[string]stats.Handler
	fallback stats.Handler
	names    map[stats.Handler]string // the service each handler traces as
	onServe  func(ctx context.Context, service, fullMethod string)
}

type handlerKey struct{}

// handler is the handler of the service that serves a call of fullMethod with the
// incoming metadata of ctx.
func (b *byService) handler(ctx context.Context, fullMethod string) stats.Handler {
	service := ServiceOf(fullMethod)
	if service == eventsService {
		md, _ := metadata.FromIncomingContext(ctx)
		v := md.Get(outbox.ReceiverKey)
		if len(v) != 1 {
			return b.fallback
		}
		service = "grantflow-" + v[0]
	}
	if h, ok := b.handlers[service]; ok {
		return h
	}
	return b.fallback
}

func (b *byService) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	h := b.handler(ctx, info.FullMethodName)
	ctx = h.TagRPC(context.WithValue(ctx, handlerKey{}, h), info)
	if b.onServe != nil {
		b.onServe(ctx, b.names[h], info.FullMethodName)
	}
	return ctx
}

func (b *byService) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if h, ok := ctx.Value(handlerKey{}).(stats.Handler); ok {
		h.HandleRPC(ctx, s)
	}
}

func (b *byService) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (b *byService) HandleConn(context.Context, stats.ConnStats)                       {}
