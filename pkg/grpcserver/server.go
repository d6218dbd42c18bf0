package grpcserver

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"buf.build/go/protovalidate"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/logging"
	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/recovery"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/stats"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

// Options configure a server.
type Options struct {
	Logger *slog.Logger
	// Auth authenticates every call but the public ones (health, reflection are added).
	Auth auth.ServerOptions
	// StatsHandler is the OpenTelemetry handler (otelgrpc.NewServerHandler); nil for none.
	StatsHandler stats.Handler
	// MaxRecvBytes bounds request size (default 4 MiB).
	MaxRecvBytes int
}

// PublicMethods need no caller: load balancers and grpcurl must reach them.
var PublicMethods = auth.MethodSet("/grpc.health.v1.Health/", "/grpc.reflection.")

// New returns a server with the chain of Interceptors, health (serving) and reflection.
// Register services on it, then Serve.
func New(o Options) (*grpc.Server, *health.Server, error) {
	unary, stream, err := Interceptors(o)
	if err != nil {
		return nil, nil, err
	}
	opts := []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}
	if o.StatsHandler != nil {
		opts = append(opts, grpc.StatsHandler(o.StatsHandler))
	}
	if o.MaxRecvBytes > 0 {
		opts = append(opts, grpc.MaxRecvMsgSize(o.MaxRecvBytes))
	}
	s := grpc.NewServer(opts...)
	h := health.NewServer()
	healthpb.RegisterHealthServer(s, h)
	reflection.Register(s)
	return s, h, nil
}

// Interceptors is the whole chain, outermost first. The order matters:
//
//  1. recovery: a panic anywhere below becomes an error instead of killing the process;
//     it is outermost so that even a panic in logging or auth is caught.
//  2. logging: one slog record per call with method, code and duration (trace and span ids
//     come from the context, which the stats handler filled before any interceptor ran);
//     a successful, quick call between services is logged at DEBUG (callLevel).
//     It sits outside error mapping so that it logs the code the caller really gets.
//  3. errors: the one place where domain errors become statuses (errs.ToStatus);
//     internal errors are logged under an id and masked.
//  4. auth: the caller (principal) from the internal token or the bearer credential;
//     unauthenticated calls stop here, before their content is looked at.
//  5. validation: protovalidate rules of the request message; a bad field is
//     INVALID_ARGUMENT with a google.rpc.BadRequest naming it, before any handler runs.
//
// OpenTelemetry is not an interceptor but the stats handler (see Options.StatsHandler),
// so the span covers the whole chain.
func Interceptors(o Options) ([]grpc.UnaryServerInterceptor, []grpc.StreamServerInterceptor, error) {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	validator, err := protovalidate.New()
	if err != nil {
		return nil, nil, fmt.Errorf("protovalidate: %w", err)
	}
	authOpts := o.Auth
	public := authOpts.Public
	authOpts.Public = func(m string) bool { return PublicMethods(m) || (public != nil && public(m)) }

	rec := recovery.WithRecoveryHandlerContext(func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in call", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errs.ToStatus(ctx, log, fmt.Errorf("panic: %v", p)).Err()
	})
	logger := logging.LoggerFunc(func(ctx context.Context, lvl logging.Level, msg string, fields ...any) {
		log.Log(ctx, callLevel(ctx, lvl, msg, fields), msg, fields...)
	})
	logOpts := []logging.Option{logging.WithLogOnEvents(logging.FinishCall)}

	unary := []grpc.UnaryServerInterceptor{
		recovery.UnaryServerInterceptor(rec),
		logging.UnaryServerInterceptor(logger, logOpts...),
		errorUnary(log),
		authOpts.UnaryServerInterceptor(),
		validateUnary(validator),
	}
	stream := []grpc.StreamServerInterceptor{
		recovery.StreamServerInterceptor(rec),
		logging.StreamServerInterceptor(logger, logOpts...),
		errorStream(log),
		authOpts.StreamServerInterceptor(),
		validateStream(validator),
	}
	return unary, stream, nil
}

func errorUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, errs.ToStatus(ctx, log, err).Err()
		}
		return resp, nil
	}
}

func errorStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := handler(srv, ss); err != nil {
			return errs.ToStatus(ss.Context(), log, err).Err()
		}
		return nil
	}
}
