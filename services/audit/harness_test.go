package audit_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/services/audit"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// pgtest keeps its admin connection for the binary's life.
		goleak.IgnoreTopFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
	)
}

// people are the callers of the tests: API key "key-<name>" authenticates each one.
var people = map[string]identityv1.Role{
	"admin": identityv1.Role_ADMIN,
	"gm":    identityv1.Role_GENERAL_MANAGER,
	"uma":   identityv1.Role_USER,
	"ulf":   identityv1.Role_USER,
}

// fakeIdentity maps the test API keys to principals, as identity would.
var fakeIdentity = auth.AuthenticatorFunc(func(_ context.Context, cred string) (auth.Principal, error) {
	for name, role := range people {
		if cred == "key-"+name {
			return auth.Principal{UserID: name, Role: role, CredentialKind: identityv1.CredentialKind_API_KEY, CredentialID: "k-" + name}, nil
		}
	}
	return auth.Principal{}, errs.Unauthenticated("unknown API key")
})

// harness runs the audit service behind the kit's real server chain on an in-memory
// listener.
type harness struct {
	t      testing.TB
	svc    *audit.Service
	pub    auditv1.AuditServiceClient
	ingest eventsv1.EventSinkServiceClient // what every producer delivers to
	signer *auth.Signer
	dialer servicetest.Dialer
	conn   *grpc.ClientConn
}

type harnessOptions struct {
	postgresURL string
	signingKey  string
	visibility  audit.RequestVisibility
	every       int
	interval    time.Duration
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	svc, err := audit.New(ctx, audit.Options{Settings: kit.Settings{Logger: log, PostgresURL: o.postgresURL}, SigningKey: o.signingKey,
		Visibility: o.visibility, CheckpointEvery: o.every, CheckpointInterval: o.interval})
	if err != nil {
		t.Fatal(err)
	}
	signer := servicetest.Signer(t)
	srv := servicetest.Server(t, signer, fakeIdentity, kit.InternalMethod)
	svc.Register(srv)
	t.Cleanup(svc.Close) // after the server stopped (cleanups run last first)
	h := &harness{t: t, svc: svc, signer: signer, dialer: servicetest.Listen(t, srv)}
	h.conn = h.dial()
	h.pub, h.ingest = auditv1.NewAuditServiceClient(h.conn), eventsv1.NewEventSinkServiceClient(h.conn)
	return h
}

// dial connects to the harness's server; opts add to the plain connection.
func (h *harness) dial(opts ...grpc.DialOption) *grpc.ClientConn {
	h.t.Helper()
	return servicetest.Dial(h.t, h.dialer, opts...)
}

// as is a context calling with person's API key.
func (h *harness) as(person string) context.Context {
	if _, ok := people[person]; !ok {
		h.t.Fatalf("no key for %s", person)
	}
	return servicetest.WithKey("key-" + person)
}

// system is a context calling as another Grantflow service's relay would.
func (h *harness) system() context.Context { return servicetest.System(h.t, h.signer) }

func (h *harness) deliver(events ...*eventsv1.Event) (int32, error) {
	res, err := h.ingest.DeliverEvents(h.system(), &eventsv1.DeliverEventsRequest{Events: events})
	return res.GetAccepted(), err
}

func (h *harness) mustDeliver(events ...*eventsv1.Event) int32 {
	h.t.Helper()
	n, err := h.deliver(events...)
	if err != nil {
		h.t.Fatalf("deliver: %v", err)
	}
	return n
}

// list pages through ListAuditEvents as person and returns every event.
func (h *harness) list(person string, r *auditv1.ListAuditEventsRequest) []*auditv1.AuditEvent {
	h.t.Helper()
	var out []*auditv1.AuditEvent
	for pages := 0; ; pages++ {
		if pages > 1000 {
			h.t.Fatal("paging does not end")
		}
		res, err := h.pub.ListAuditEvents(h.as(person), r)
		if err != nil {
			h.t.Fatalf("list as %s: %v", person, err)
		}
		out = append(out, res.GetAuditEvents()...)
		if res.GetNextPageToken() == "" {
			return out
		}
		r.PageToken = res.GetNextPageToken()
	}
}

var t0 = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// event is an event as a producer's outbox holds it.
func event(id string, mods ...func(*eventsv1.Event)) *eventsv1.Event {
	e := &eventsv1.Event{
		Id: id, Service: "grantflow-identity", SourceSeq: 1, Action: "user.updated", Subject: "users/x",
		Time: timestamppb.New(t0), ActorId: "admin", ActorCredential: "k-admin",
		Payload:     &eventsv1.Event_UserChanged{UserChanged: &eventsv1.UserChanged{UserId: id}},
		Traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", TraceId: "4bf92f3577b34da6a3ce929d0e0e4736",
	}
	for _, m := range mods {
		m(e)
	}
	return e
}

func ids(events []*auditv1.AuditEvent) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.GetId())
	}
	return out
}

func forEachEngine(t *testing.T, test func(t *testing.T, o harnessOptions)) {
	t.Run("memory", func(t *testing.T) { test(t, harnessOptions{}) })
	t.Run("postgres", func(t *testing.T) { test(t, harnessOptions{postgresURL: pgtest.NewEmptyDatabase(t)}) })
}

var (
	wantCode     = servicetest.WantCode
	wantBadField = servicetest.WantBadField
)

func eq[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func eqList[T comparable](t testing.TB, what string, got, want []T) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) || len(got) != len(want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

var metadataWithBearer = servicetest.WithKey

func pgtestURL(t *testing.T) string { return pgtest.NewEmptyDatabase(t) }
