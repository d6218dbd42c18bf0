package auth

import (
	"context"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/grantflow/grantflow/pkg/errs"
)

// ServerOptions configure the server side of authentication.
type ServerOptions struct {
	// Signer verifies internal caller tokens from other Grantflow services.
	Signer *Signer
	// Authenticator turns bearer credentials into principals. Nil: only internal tokens
	// are accepted (a service that is never called directly by people).
	Authenticator Authenticator
	// Public reports methods that need no caller (health checks, reflection).
	Public func(fullMethod string) bool
	// InternalOnly reports methods only other Grantflow services may call.
	InternalOnly func(fullMethod string) bool
	// Failures, if set, limits failed and unauthenticated calls per client address
	// (RESOURCE_EXHAUSTED once used up), before any credential is looked at.
	Failures *FailureLimiter
	// StreamRecheck is how often a streaming call that carries a bearer credential has it
	// authenticated again while it lasts (0: DefaultStreamRecheck): a caller offboarded, or
	// whose API key is revoked, loses an open stream with UNAUTHENTICATED.
	StreamRecheck time.Duration
}

// Authenticate finds the caller of an incoming call from its metadata. With Failures set,
// an address that failed too often is refused before its credential is looked at, and
// each UNAUTHENTICATED answer counts against its address.
func (o ServerOptions) Authenticate(ctx context.Context, fullMethod string) (context.Context, error) {
	if o.Public != nil && o.Public(fullMethod) {
		return ctx, nil
	}
	if o.Failures == nil {
		return o.authenticate(ctx, fullMethod)
	}
	addr := peerAddr(ctx)
	if blocked, retry := o.Failures.Blocked(addr); blocked {
		return nil, Refusal(retry)
	}
	out, err := o.authenticate(ctx, fullMethod)
	if Unauthenticated(err) {
		o.Failures.Failed(addr)
	}
	return out, err
}

func (o ServerOptions) authenticate(ctx context.Context, fullMethod string) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var p Principal
	if tok := first(md, MetadataKey); tok != "" {
		if o.Signer == nil {
			return nil, errs.Unauthenticated("internal caller tokens are not accepted here")
		}
		var err error
		if p, err = o.Signer.VerifyFor(tok, fullMethod); err != nil {
			return nil, errs.Unauthenticated("invalid internal caller token").Wrap(err)
		}
	} else {
		cred, ok := bearer(first(md, "authorization"))
		if !ok {
			return nil, errs.Unauthenticated("missing credentials: send Authorization: Bearer <api key or token>")
		}
		if o.Authenticator == nil {
			return nil, errs.Unauthenticated("this service accepts only calls from other Grantflow services")
		}
		var err error
		if p, err = o.Authenticator.Authenticate(ctx, cred); err != nil {
			return nil, err
		}
	}
	if o.InternalOnly != nil && o.InternalOnly(fullMethod) && !p.Internal {
		return nil, errs.PermissionDenied("this call is internal to Grantflow")
	}
	return WithPrincipal(ctx, p), nil
}

// UnaryServerInterceptor authenticates every unary call.
func (o ServerOptions) UnaryServerInterceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := o.Authenticate(ctx, info.FullMethod)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor authenticates every streaming call, when it starts and, if it
// carries a bearer credential, again every StreamRecheck while it lasts.
func (o ServerOptions) StreamServerInterceptor() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := o.Authenticate(ss.Context(), info.FullMethod)
		if err != nil {
			return err
		}
		run := func(ctx context.Context) error { return handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx}) }
		cred := o.streamCredential(ss.Context(), info.FullMethod)
		if cred == "" {
			return run(ctx)
		}
		p, _ := FromContext(ctx)
		return o.recheckStream(ss.Context(), ctx, cred, p.UserID, run)
	}
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	cred := strings.TrimSpace(h[len(prefix):])
	return cred, cred != ""
}

// MethodSet reports membership of full method names or whole services ("/pkg.Service/").
func MethodSet(prefixes ...string) func(string) bool {
	return func(m string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(m, p) {
				return true
			}
		}
		return false
	}
}
