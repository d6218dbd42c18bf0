package auth

import (
	"context"
	"time"

	"google.golang.org/grpc/metadata"

	"github.com/grantflow/grantflow/pkg/errs"
)

// DefaultStreamRecheck is how often a long-lived stream's caller is authenticated again
// (ServerOptions.StreamRecheck, the gateway's watches). Identity invalidates the principal
// cache on every change of a user or key, so a check after an offboarding or a revocation
// asks identity afresh; a missed invalidation adds at most DefaultPrincipalTTL.
const DefaultStreamRecheck = 30 * time.Second

// errSomeoneElse ends a stream whose credential now names another user (it cannot happen
// with identity's credentials, but a stream must never change hands).
var errSomeoneElse = errs.Unauthenticated("the credential of this stream no longer names its caller")

// WhileAuthenticated returns a context of ctx that ends once the bearer credential cred no
// longer authenticates userID through a, asked every `every` (0: DefaultStreamRecheck):
// every call is authenticated, a stream too while it lasts, not only when it starts. The
// refusal (UNAUTHENTICATED, as a new call with cred gets) is the context's cause: see
// Revoked. lookup is the context of the lookups (the one the first authentication used:
// they go out as it did); they end with the returned context. A lookup that fails for
// another reason (identity unreachable) keeps the stream until the next check: a stream
// ends on a verdict on its credential, not on an outage. Call cancel when the stream ends.
func WhileAuthenticated(ctx, lookup context.Context, a Authenticator, cred, userID string, every time.Duration) (_ context.Context, cancel func()) {
	if every <= 0 {
		every = DefaultStreamRecheck
	}
	ctx, end := context.WithCancelCause(ctx)
	lookup, stop := context.WithCancel(lookup)
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-lookup.Done():
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
			p, err := a.Authenticate(lookup, cred)
			switch {
			case Unauthenticated(err):
				end(err)
				return
			case err == nil && p.UserID != userID:
				end(errSomeoneElse)
				return
			}
		}
	}()
	return ctx, func() { stop(); end(nil) }
}

// Revoked is the refusal that ended a context of WhileAuthenticated (or one derived from
// it), nil if it did not end so.
func Revoked(ctx context.Context) error {
	if cause := context.Cause(ctx); Unauthenticated(cause) {
		return cause
	}
	return nil
}

// recheckStream runs a streaming call's handler with a context that ends once cred no
// longer authenticates the caller (WhileAuthenticated), and then returns the refusal as the
// call's error. base is the call's context before authentication.
func (o ServerOptions) recheckStream(base, ctx context.Context, cred, userID string, run func(context.Context) error) error {
	ctx, cancel := WhileAuthenticated(ctx, base, o.Authenticator, cred, userID, o.StreamRecheck)
	defer cancel()
	err := run(ctx)
	if revoked := Revoked(ctx); revoked != nil {
		return revoked // the handler saw its context end: say why
	}
	return err
}

// streamCredential is the bearer credential a streaming call carries to be checked again
// while it lasts: "" for none (a call between services, which carries only its internal
// token: the gateway checks the watches it passes on itself) or without an Authenticator.
func (o ServerOptions) streamCredential(ctx context.Context, fullMethod string) string {
	if o.Authenticator == nil || (o.Public != nil && o.Public(fullMethod)) {
		return ""
	}
	md, _ := metadata.FromIncomingContext(ctx)
	cred, _ := bearer(first(md, "authorization"))
	return cred
}
