package auth

import (
	"context"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/grantflow/grantflow/pkg/errs"
)

// DefaultStreamRecheck is how often a long-lived stream's caller is authenticated again
// (ServerOptions.StreamRecheck). Identity invalidates the principal cache on every change of
// a user or key, so a check after a deactivation or a revocation asks identity afresh; a
// missed invalidation adds at most DefaultPrincipalTTL.
const DefaultStreamRecheck = 30 * time.Second

// errSomeoneElse ends a stream whose credential now names another user (it cannot happen
// with identity's credentials, but a stream must never change hands).
var errSomeoneElse = errs.Unauthenticated("the credential of this stream no longer names its caller")

// recheckStream runs handler with a context that ends, with UNAUTHENTICATED as the call's
// error, once the bearer credential cred no longer authenticates userID: every call is
// authenticated, a stream too while it lasts, not only when it starts. base is the call's
// context before authentication (the identity lookups go out as the system, as the first
// one did). A lookup that fails for another reason (identity unreachable) keeps the stream
// until the next check: the stream is ended on a verdict on the credential, not on an outage.
func (o ServerOptions) recheckStream(base context.Context, ctx context.Context, cred, userID string, run func(context.Context) error) error {
	every := o.StreamRecheck
	if every <= 0 {
		every = DefaultStreamRecheck
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The lookups end with the stream too.
	base, stop := context.WithCancel(base)
	defer stop()
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-base.Done():
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p, err := o.Authenticator.Authenticate(base, cred)
			switch {
			case Unauthenticated(err):
				cancel(err)
				return
			case err == nil && p.UserID != userID:
				cancel(errSomeoneElse)
				return
			}
		}
	}()
	err := run(ctx)
	if cause := context.Cause(ctx); cause != nil && Unauthenticated(cause) {
		return cause // the handler saw its context end: say why
	}
	return err
}

// streamCredential is the bearer credential a streaming call carries to be checked again
// while it lasts: the caller's own (sent directly, or passed on by the gateway alongside
// its internal token), "" for none (a call between services) or without an Authenticator.
func (o ServerOptions) streamCredential(ctx context.Context, fullMethod string) string {
	if o.Authenticator == nil || (o.Public != nil && o.Public(fullMethod)) {
		return ""
	}
	md, _ := metadata.FromIncomingContext(ctx)
	cred, _ := bearer(first(md, "authorization"))
	return cred
}
