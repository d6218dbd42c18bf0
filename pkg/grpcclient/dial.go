package grpcclient

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/stats"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

// Options configure a client connection.
type Options struct {
	// Signer mints the internal caller token of each call.
	Signer *auth.Signer
	// StatsHandler is the OpenTelemetry handler (otelgrpc.NewClientHandler); nil for none.
	StatsHandler stats.Handler
	// MaxAttempts of a retried call (default 4).
	MaxAttempts int
	// Dialer, when set, makes the connections instead of TCP: the all-in-one process's
	// in-memory listener (process.InMemory), whose target is then a passthrough name
	// ("passthrough:///grantflow-in-process") rather than host:port.
	Dialer func(ctx context.Context, addr string) (net.Conn, error)
}

// Dial returns a lazily connecting client for target: "host:port", or several replicas of
// one service as "host:port,host:port,..." (GRANTFLOW_REQUEST_ADDR=127.0.0.1:9093,127.0.0.1:10093),
// which it resolves to that fixed list (a static resolver of its own) and balances round
// robin, call by call; a replica that is down is left out until it answers again. Every
// connection has the same retry policy (ServiceConfig), and turns the statuses of failed
// calls, unary and streaming, back into domain errors (errs.FromStatus), so callers branch
// on errs.Kind.
func Dial(target string, o Options) (*grpc.ClientConn, error) {
	if o.Signer == nil {
		return nil, fmt.Errorf("grpcclient: a signer is required to call %s", target)
	}
	addrs := Addresses(target)
	if len(addrs) == 0 {
		return nil, fmt.Errorf("grpcclient: no address in %q", target)
	}
	sc, err := ServiceConfig(o.MaxAttempts)
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{
		// Service to service traffic stays inside the deployment; TLS termination and mTLS
		// belong to the mesh or a later option (docs/SECURITY.md).
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(sc),
		// Reconnect soon after a peer comes back: gRPC's default backoff grows to 120 s,
		// which would hold an outbox relay back long after a restarted service is up.
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{
			BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 3 * time.Second,
		}, MinConnectTimeout: 5 * time.Second}),
	}
	opts = append(opts, Interceptors(o.Signer)...)
	if o.StatsHandler != nil {
		opts = append(opts, grpc.WithStatsHandler(o.StatsHandler))
	}
	if o.Dialer != nil {
		opts = append(opts, grpc.WithContextDialer(o.Dialer))
	}
	if len(addrs) == 1 {
		return grpc.NewClient(addrs[0], opts...)
	}
	r := manual.NewBuilderWithScheme(replicasScheme)
	state := resolver.State{}
	for _, a := range addrs {
		state.Addresses = append(state.Addresses, resolver.Address{Addr: a})
	}
	r.InitialState(state)
	return grpc.NewClient(replicasScheme+":///"+strings.Join(addrs, ","), append(opts, grpc.WithResolvers(r))...)
}

// Interceptors are the client interceptors of every connection Dial makes, unary and
// streaming: the caller in the context travels as an internal token signed by signer, and
// failed calls come back as domain errors (DomainErrors, DomainStreamErrors). The services'
// in-process test connections install the same (pkg/servicetest.AsService).
func Interceptors(signer *auth.Signer) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(auth.UnaryClientInterceptor(signer), DomainErrors),
		grpc.WithChainStreamInterceptor(auth.StreamClientInterceptor(signer), DomainStreamErrors),
	}
}

// replicasScheme names the static resolver of a connection to several addresses; it is
// registered with that connection only (grpc.WithResolvers), never globally.
const replicasScheme = "grantflow-replicas"

// Addresses splits a service address setting into its addresses: "a:1, b:2" is [a:1 b:2];
// empty items are dropped.
func Addresses(target string) []string {
	var out []string
	for a := range strings.SplitSeq(target, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// DomainErrors is the unary client interceptor that hands callers errs.FromStatus of a
// failed call: an *errs.Error of the status's kind (which still answers status.Code), or
// the status error itself for codes without a domain kind.
func DomainErrors(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return errs.FromStatus(invoker(ctx, method, req, reply, cc, opts...))
}

// DomainStreamErrors is DomainErrors for streams: opening the stream, and every send,
// receive and header of it, hand callers errs.FromStatus of a failure (io.EOF, the end
// of a stream, stays io.EOF).
func DomainStreamErrors(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	s, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, errs.FromStatus(err)
	}
	return domainStream{s}, nil
}

type domainStream struct{ grpc.ClientStream }

func (s domainStream) SendMsg(m any) error { return errs.FromStatus(s.ClientStream.SendMsg(m)) }
func (s domainStream) RecvMsg(m any) error { return errs.FromStatus(s.ClientStream.RecvMsg(m)) }
func (s domainStream) CloseSend() error    { return errs.FromStatus(s.ClientStream.CloseSend()) }

func (s domainStream) Header() (metadata.MD, error) {
	md, err := s.ClientStream.Header()
	return md, errs.FromStatus(err)
}
