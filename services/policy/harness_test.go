package policy_test

import (
	"context"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/identity"
	"github.com/grantflow/grantflow/services/policy"
)

const bootstrapKey = "bootstrap-key-for-tests-0123456789"

// harness runs the real identity service and the policy service, each behind the kit's
// real server chain on an in-memory listener, wired as in the distributed mode: policy
// authenticates bearer credentials by asking identity (auth.Identity) and checks what
// policies name through identity's internal client, which carries the caller as a signed
// internal token. It holds a small organization with an API key per person.
type harness struct {
	t        testing.TB
	svc      *policy.Service
	client   policyv1.PolicyServiceClient
	idPub    identityv1.IdentityServiceClient
	internal identityv1.IdentityInternalServiceClient
	signer   *auth.Signer
	audit    *recordingSink
	keys     map[string]string // person -> API key
	ids      map[string]string // person -> user id
	apps     map[string]string // app name -> id
	groups   map[string]string // group name -> id
}

type harnessOptions struct {
	postgresURL string
}

// serve runs srv on a fresh in-memory listener and returns a dialer for it.
func serve(t testing.TB, srv *grpc.Server) func(context.Context, string) (net.Conn, error) {
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
}

func dial(t testing.TB, name string, dialer func(context.Context, string) (net.Conn, error), opts ...grpc.DialOption) *grpc.ClientConn {
	conn, err := grpc.NewClient("passthrough:///"+name, append(opts,
		grpc.WithContextDialer(dialer), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	signer, err := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), "test")
	if err != nil {
		t.Fatal(err)
	}

	// Identity, the real service, in memory.
	idSvc, err := identity.New(ctx, identity.Options{Logger: log, BootstrapAdminKey: bootstrapKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idSvc.Close)
	idSrv, _, err := grpcserver.New(grpcserver.Options{Logger: log, Auth: auth.ServerOptions{Signer: signer, Authenticator: idSvc.Authenticator(), InternalOnly: identity.InternalOnly}})
	if err != nil {
		t.Fatal(err)
	}
	idSvc.Register(idSrv)
	idDialer := serve(t, idSrv)
	// The public client carries people's API keys; the internal one is policy's, with the
	// kit's client interceptor that turns the caller in the context into a signed token.
	idPub := identityv1.NewIdentityServiceClient(dial(t, "identity", idDialer))
	internal := identityv1.NewIdentityInternalServiceClient(dial(t, "identity", idDialer,
		grpc.WithChainUnaryInterceptor(auth.UnaryClientInterceptor(signer))))

	audit := &recordingSink{}
	svc, err := policy.New(ctx, policy.Options{Logger: log, PostgresURL: o.postgresURL, Identity: internal, AuditSink: audit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	srv, _, err := grpcserver.New(grpcserver.Options{Logger: log, Auth: auth.ServerOptions{Signer: signer, Authenticator: auth.Identity(internal)}})
	if err != nil {
		t.Fatal(err)
	}
	svc.Register(srv)
	client := policyv1.NewPolicyServiceClient(dial(t, "policy", serve(t, srv)))
	return &harness{t: t, svc: svc, client: client, idPub: idPub, internal: internal, signer: signer, audit: audit,
		keys: map[string]string{"bootstrap": bootstrapKey}, ids: map[string]string{"bootstrap": "bootstrap-admin"},
		apps: map[string]string{}, groups: map[string]string{}}
}

// as is a context calling with person's API key.
func (h *harness) as(person string) context.Context {
	key, ok := h.keys[person]
	if !ok {
		h.t.Fatalf("no key for %s", person)
	}
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
}

// service is a context calling as another Grantflow service would (signed internal token
// for the system), as the request service resolves policies.
func (h *harness) service() context.Context {
	tok, err := h.signer.Mint(auth.System())
	if err != nil {
		h.t.Fatal(err)
	}
	return metadata.AppendToOutgoingContext(context.Background(), auth.MetadataKey, tok)
}

func (h *harness) onboard(person, role, manager string) string {
	h.t.Helper()
	r := identityv1.Role(identityv1.Role_value[role])
	u, err := h.idPub.CreateUser(h.as("bootstrap"), &identityv1.CreateUserRequest{Email: person + "@example.com", DisplayName: person, Role: r, ManagerId: h.ids[manager]})
	if err != nil {
		h.t.Fatalf("onboard %s: %v", person, err)
	}
	k, err := h.idPub.CreateApiKey(h.as("bootstrap"), &identityv1.CreateApiKeyRequest{UserId: u.GetId(), DisplayName: "test"})
	if err != nil {
		h.t.Fatalf("key for %s: %v", person, err)
	}
	h.ids[person], h.keys[person] = u.GetId(), k.GetSecret()
	return u.GetId()
}

// seedOrg builds, through identity's public API as the bootstrap admin:
//
//	gm (GENERAL_MANAGER)
//	├── admin (ADMIN)
//	├── mona (manager) ── uma, ulf
//	├── otto (owner of Figma)
//	└── vera ── walt (another team)
//
// Apps: Figma (owner otto; viewer, editor, admin*; custom role "security"), Slack (owner
// vera; member, admin*). Group "sre": walt, otto.
func (h *harness) seedOrg() {
	h.t.Helper()
	h.onboard("gm", "GENERAL_MANAGER", "")
	h.onboard("admin", "ADMIN", "gm")
	h.onboard("mona", "USER", "gm")
	h.onboard("uma", "USER", "mona")
	h.onboard("ulf", "USER", "mona")
	h.onboard("otto", "USER", "gm")
	h.onboard("vera", "USER", "gm")
	h.onboard("walt", "USER", "vera")
	for _, spec := range []struct {
		name, owner string
		perms       []*identityv1.Permission
		roles       []*identityv1.CustomRole
	}{
		{"Figma", "otto", []*identityv1.Permission{{Name: "viewer"}, {Name: "editor"}, {Name: "admin", Privileged: true}},
			[]*identityv1.CustomRole{{Name: "security", UserIds: []string{h.ids["walt"]}}}},
		{"Slack", "vera", []*identityv1.Permission{{Name: "member"}, {Name: "admin", Privileged: true}}, nil},
	} {
		a, err := h.idPub.CreateApp(h.as("bootstrap"), &identityv1.CreateAppRequest{Name: spec.name, OwnerIds: []string{h.ids[spec.owner]}, Permissions: spec.perms, CustomRoles: spec.roles})
		if err != nil {
			h.t.Fatalf("app %s: %v", spec.name, err)
		}
		h.apps[spec.name] = a.GetId()
	}
	g, err := h.idPub.CreateGroup(h.as("bootstrap"), &identityv1.CreateGroupRequest{Name: "sre", MemberIds: []string{h.ids["walt"], h.ids["otto"]}})
	if err != nil {
		h.t.Fatalf("group: %v", err)
	}
	h.groups["sre"] = g.GetId()
}

// recordingSink is the audit service as far as the relay can tell.
type recordingSink struct {
	mu     sync.Mutex
	events []*eventsv1.Event
}

var _ outbox.Sink = (*recordingSink)(nil)

func (s *recordingSink) DeliverEvents(_ context.Context, events []*eventsv1.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, events...)
	return nil
}

func (s *recordingSink) received() []*eventsv1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// forEachEngine runs test with policy on the memory engine and on a PostgreSQL database of
// its own (skipped loudly, or failed under CI=true, without PostgreSQL).
func forEachEngine(t *testing.T, test func(t *testing.T, o harnessOptions)) {
	t.Run("memory", func(t *testing.T) { test(t, harnessOptions{}) })
	t.Run("postgres", func(t *testing.T) { test(t, harnessOptions{postgresURL: pgtest.NewEmptyDatabase(t)}) })
}
