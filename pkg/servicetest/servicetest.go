package servicetest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/grpcclient"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/proctest"
)

// Signer is the internal-token signer the services of one test share.
func Signer(t testing.TB) *auth.Signer {
	t.Helper()
	s, err := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), "test")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// StreamRecheck is how often the test servers authenticate a stream's caller again: short,
// so that a test waiting for a stream to end once its caller is offboarded ends quickly.
const StreamRecheck = 20 * time.Millisecond

// Server is a gRPC server with the kit's real interceptor chain: callers authenticated by
// authn, or by an internal token signed by signer; internalOnly (may be nil) names the
// methods only services may call.
func Server(t testing.TB, signer *auth.Signer, authn auth.Authenticator, internalOnly func(string) bool) *grpc.Server {
	t.Helper()
	srv, _, err := grpcserver.New(grpcserver.Options{Logger: slog.New(slog.DiscardHandler),
		Auth: auth.ServerOptions{Signer: signer, Authenticator: authn, InternalOnly: internalOnly, StreamRecheck: StreamRecheck}})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// Dialer connects to an in-memory listener.
type Dialer func(context.Context, string) (net.Conn, error)

// Listener is an in-memory listener, which may be dialed before the server that will
// serve it exists (services whose sinks point at each other).
type Listener struct{ lis *bufconn.Listener }

// NewListener is a new in-memory listener.
func NewListener() *Listener { return &Listener{lis: bufconn.Listen(1 << 20)} }

// Dialer connects to l.
func (l *Listener) Dialer() Dialer {
	return func(ctx context.Context, _ string) (net.Conn, error) { return l.lis.DialContext(ctx) }
}

// Serve serves srv on l until the test ends.
func (l *Listener) Serve(t testing.TB, srv *grpc.Server) {
	go func() { _ = srv.Serve(l.lis) }()
	t.Cleanup(srv.Stop)
}

// Listen serves srv on an in-memory listener until the test ends.
func Listen(t testing.TB, srv *grpc.Server) Dialer {
	l := NewListener()
	l.Serve(t, srv)
	return l.Dialer()
}

// Dial is a client connection through dialer, closed when the test ends.
func Dial(t testing.TB, dialer Dialer, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient("passthrough:///bufconn", append(opts,
		grpc.WithContextDialer(dialer), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// Serve serves srv on an in-memory listener until the test ends and returns a client
// connection to it.
func Serve(t testing.TB, srv *grpc.Server, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	return Dial(t, Listen(t, srv), opts...)
}

// AsService are the dial options of a service's connection to another, the client
// interceptors of production connections (grpcclient.Interceptors): the caller in the
// context travels as an internal token signed by signer, and failed calls come back as
// domain errors (errs.FromStatus), as callers see them in production. Pass them with
// Dial(t, dialer, AsService(signer)...).
func AsService(signer *auth.Signer) []grpc.DialOption {
	return grpcclient.Interceptors(signer)
}

// Run does svc's background work until the test ends; then it waits for it to stop and
// closes svc (a pool closes only once every connection is back).
func Run(t testing.TB, svc interface {
	Run(context.Context)
	Close()
}) {
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	t.Cleanup(func() { stop(); <-done; svc.Close() })
}

// WithKey is a context calling with the API key.
func WithKey(key string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
}

// System is a context calling as another Grantflow service would: the system's internal
// token, signed by signer.
func System(t testing.TB, signer *auth.Signer) context.Context {
	tok, err := signer.Mint(auth.System())
	if err != nil {
		t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, tok)
}

// People are the persons a test made through identity's public API, by name; "bootstrap"
// is the admin whose key exists from the start.
type People struct {
	t        testing.TB
	identity identityv1.IdentityServiceClient
	Keys     map[string]string // person -> API key
	IDs      map[string]string // person -> user id
}

// NewPeople starts the people of a test made through identity, with the bootstrap admin
// (bootstrapKey, user id "bootstrap-admin").
func NewPeople(t testing.TB, identity identityv1.IdentityServiceClient, bootstrapKey string) *People {
	return &People{t: t, identity: identity,
		Keys: map[string]string{"bootstrap": bootstrapKey}, IDs: map[string]string{"bootstrap": "bootstrap-admin"}}
}

// As is a context calling with person's API key.
func (p *People) As(person string) context.Context {
	key, ok := p.Keys[person]
	if !ok {
		p.t.Fatalf("no key for %s", person)
	}
	return WithKey(key)
}

// Onboard makes person (role: an identityv1.Role name; manager: a person or "") and an
// API key of theirs, as the bootstrap admin, and returns their user id.
func (p *People) Onboard(person, role, manager string) string {
	p.t.Helper()
	u, err := p.identity.CreateUser(p.As("bootstrap"), &identityv1.CreateUserRequest{Email: person + "@example.com", DisplayName: person,
		Role: identityv1.Role(identityv1.Role_value[role]), ManagerId: p.IDs[manager]})
	if err != nil {
		p.t.Fatalf("onboard %s: %v", person, err)
	}
	k, err := p.identity.CreateApiKey(p.As("bootstrap"), &identityv1.CreateApiKeyRequest{UserId: u.GetId(), DisplayName: "test"})
	if err != nil {
		p.t.Fatalf("key for %s: %v", person, err)
	}
	p.IDs[person], p.Keys[person] = u.GetId(), k.GetSecret()
	return u.GetId()
}

// Org onboards, in this order, the people every service's tests start from:
//
//	gm (GENERAL_MANAGER)
//	├── admin (ADMIN)
//	└── mona (USER, a manager) ── uma, ulf
func (p *People) Org() {
	p.t.Helper()
	p.Onboard("gm", "GENERAL_MANAGER", "")
	p.Onboard("admin", "ADMIN", "gm")
	p.Onboard("mona", "USER", "gm")
	p.Onboard("uma", "USER", "mona")
	p.Onboard("ulf", "USER", "mona")
}

// Owners onboards the people of Org and then, in this order, the owners of apps and a
// second team that identity's and policy's tests use:
//
//	gm (GENERAL_MANAGER)
//	├── admin (ADMIN)
//	├── mona (manager) ── uma, ulf
//	├── otto (USER; the owner of Figma there)
//	└── vera (USER) ── walt (another team)
func (p *People) Owners() {
	p.t.Helper()
	p.Org()
	p.Onboard("otto", "USER", "gm")
	p.Onboard("vera", "USER", "gm")
	p.Onboard("walt", "USER", "vera")
}

// Recorder is an event receiver as far as an outbox relay can tell: it keeps the events
// delivered to it, each id once, as the receivers deduplicate.
type Recorder struct {
	mu     sync.Mutex
	seen   map[string]bool
	events []*eventsv1.Event
	more   chan struct{} // closed when events arrive (nil: nobody waits)
}

var _ outbox.Sink = (*Recorder)(nil)

// DeliverEvents keeps the events it has not seen yet.
func (r *Recorder) DeliverEvents(_ context.Context, events []*eventsv1.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]bool{}
	}
	n := len(r.events)
	for _, e := range events {
		if !r.seen[e.GetId()] {
			r.seen[e.GetId()] = true
			r.events = append(r.events, e)
		}
	}
	if len(r.events) > n && r.more != nil {
		close(r.more)
		r.more = nil
	}
	return nil
}

// arrivals is a channel closed once events arrive after this call.
func (r *Recorder) arrivals() <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.more == nil {
		r.more = make(chan struct{})
	}
	return r.more
}

// Until waits until cond holds, looking again each time events arrive at r: for what the
// services under test change only with an event to r (their outboxes deliver it once the
// change committed, so cond then sees the change). It fails t as [Await] does: with cond's
// last state after [Hang], or once t has failed meanwhile.
func (r *Recorder) Until(t testing.TB, what string, cond func() (done bool, state string)) {
	t.Helper()
	proctest.Await(t, time.Now().Add(Hang), what, r.arrivals, cond)
}

// Events are the events delivered so far, in order.
func (r *Recorder) Events() []*eventsv1.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Await waits until r holds at least n events that keep keeps, and returns those, in
// delivery order; what names them in the failure.
func (r *Recorder) Await(t testing.TB, n int, what string, keep func(*eventsv1.Event) bool) []*eventsv1.Event {
	t.Helper()
	var got []*eventsv1.Event
	r.Until(t, fmt.Sprintf("%d %s events", n, what), func() (bool, string) {
		got = got[:0]
		for _, e := range r.Events() {
			if keep(e) {
				got = append(got, e)
			}
		}
		return len(got) >= n, fmt.Sprintf("%d so far", len(got))
	})
	return got
}

// Must takes a call's results and returns v, failing t at once when err is not nil, with
// the call named by format and args: Must(client.GetX(ctx, in))(t, "GetX %s", id).
func Must[T any](v T, err error) func(t testing.TB, format string, args ...any) T {
	return func(t testing.TB, format string, args ...any) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", fmt.Sprintf(format, args...), err)
		}
		return v
	}
}

// WantCode fails the test unless err has the gRPC code want.
func WantCode(t testing.TB, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("code %v, want %v (%v)", got, want, err)
	}
}

// WantBadField fails the test unless err is INVALID_ARGUMENT with a BadRequest naming field.
func WantBadField(t testing.TB, err error, field string) {
	t.Helper()
	WantField(t, err, codes.InvalidArgument, field)
}

// WantField fails the test unless err has the gRPC code want and a BadRequest naming field.
func WantField(t testing.TB, err error, want codes.Code, field string) {
	t.Helper()
	WantCode(t, err, want)
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				if v.GetField() == field {
					return
				}
				fields = append(fields, v.GetField())
			}
		}
	}
	t.Fatalf("no BadRequest naming %q in %v (fields %v)", field, err, fields)
}
