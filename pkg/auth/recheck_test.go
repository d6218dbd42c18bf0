package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/grantflow/grantflow/pkg/errs"
)

// streamOf is a server stream of ctx (only Context is used).
type streamOf struct {
	grpc.ServerStream
	ctx context.Context
}

func (s streamOf) Context() context.Context { return s.ctx }

// verdicts is an Authenticator answering from a script: each call takes the next answer,
// the last one repeats.
type verdicts struct {
	mu      sync.Mutex
	answers []error
	calls   int
}

func (v *verdicts) Authenticate(context.Context, string) (Principal, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	err := v.answers[min(v.calls, len(v.answers)-1)]
	v.calls++
	if err != nil {
		return Principal{}, err
	}
	return Principal{UserID: "u1"}, nil
}

// watchUntilEnd runs a stream that waits for its context to end, as a watch does, through
// o's interceptor, with metadata md; it returns the call's error, failing after 30 s.
func watchUntilEnd(t *testing.T, o ServerOptions, md metadata.MD) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(metadata.NewIncomingContext(context.Background(), md), 30*time.Second)
	defer cancel()
	err := o.StreamServerInterceptor()(nil, streamOf{ctx: ctx}, &grpc.StreamServerInfo{FullMethod: "/x.v1.S/Watch"},
		func(_ any, ss grpc.ServerStream) error {
			<-ss.Context().Done()
			return ss.Context().Err()
		})
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatal("the stream outlived its caller's credential")
	}
	return err
}

// TestStreamRecheck: a stream ends with UNAUTHENTICATED once its bearer credential stops
// authenticating (the user offboarded, the key revoked), and not on an outage of identity.
func TestStreamRecheck(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "identity is down")
	bad := errs.Unauthenticated("invalid credentials")
	v := &verdicts{answers: []error{nil, unavailable, unavailable, nil, bad}}
	o := ServerOptions{Authenticator: v, StreamRecheck: time.Millisecond}
	err := watchUntilEnd(t, o, metadata.Pairs("authorization", "Bearer key-1"))
	if !Unauthenticated(err) {
		t.Fatalf("stream ended with %v, want UNAUTHENTICATED", err)
	}
	if v.calls != 5 {
		t.Fatalf("the stream ended after %d authentications, want 5 (at start, two outages, one pass, the verdict)", v.calls)
	}
}

// TestStreamRecheckSomeoneElse: a credential that comes to name another user ends the stream.
func TestStreamRecheckSomeoneElse(t *testing.T) {
	o := ServerOptions{StreamRecheck: time.Millisecond}
	calls := 0
	o.Authenticator = AuthenticatorFunc(func(context.Context, string) (Principal, error) {
		calls++ // the start, then the checks one after another (never concurrently)
		if calls == 1 {
			return Principal{UserID: "u1"}, nil
		}
		return Principal{UserID: "u2"}, nil
	})
	if err := watchUntilEnd(t, o, metadata.Pairs("authorization", "Bearer key-1")); !Unauthenticated(err) {
		t.Fatalf("stream ended with %v, want UNAUTHENTICATED", err)
	}
}
