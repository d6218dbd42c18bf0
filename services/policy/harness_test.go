package policy_test

import (
	"context"
	"log/slog"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/services/identity/identitytest"
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
	// People are the persons of the test by name (As, Onboard, Keys, IDs).
	*servicetest.People
	apps   map[string]string // app name -> id
	groups map[string]string // group name -> id
}

type harnessOptions struct {
	postgresURL string
}

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	signer := servicetest.Signer(t)

	// Identity, the real service, in memory. The public client carries people's API keys;
	// the internal one is policy's, with the kit's client interceptor that turns the caller
	// in the context into a signed token.
	idPub, internal := identitytest.Start(t, signer, bootstrapKey)

	audit := &recordingSink{}
	svc, err := policy.New(context.Background(), policy.Options{Settings: kit.Settings{Logger: slog.New(slog.DiscardHandler), PostgresURL: o.postgresURL}, Identity: internal, AuditSink: audit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	srv := servicetest.Server(t, signer, auth.Identity(internal), nil)
	svc.Register(srv)
	client := policyv1.NewPolicyServiceClient(servicetest.Serve(t, srv))
	people := servicetest.NewPeople(t, idPub, bootstrapKey)
	return &harness{t: t, svc: svc, client: client, idPub: idPub, internal: internal, signer: signer, audit: audit,
		People: people, apps: map[string]string{}, groups: map[string]string{}}
}

// service is a context calling as another Grantflow service would (signed internal token
// for the system), as the request service resolves policies.
func (h *harness) service() context.Context { return servicetest.System(h.t, h.signer) }

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
	h.Owners()
	for _, spec := range []struct {
		name, owner string
		perms       []*identityv1.Permission
		roles       []*identityv1.CustomRole
	}{
		{"Figma", "otto", []*identityv1.Permission{{Name: "viewer"}, {Name: "editor"}, {Name: "admin", Privileged: true}},
			[]*identityv1.CustomRole{{Name: "security", UserIds: []string{h.IDs["walt"]}}}},
		{"Slack", "vera", []*identityv1.Permission{{Name: "member"}, {Name: "admin", Privileged: true}}, nil},
	} {
		a, err := h.idPub.CreateApp(h.As("bootstrap"), &identityv1.CreateAppRequest{Name: spec.name, OwnerIds: []string{h.IDs[spec.owner]}, Permissions: spec.perms, CustomRoles: spec.roles})
		if err != nil {
			h.t.Fatalf("app %s: %v", spec.name, err)
		}
		h.apps[spec.name] = a.GetId()
	}
	g, err := h.idPub.CreateGroup(h.As("bootstrap"), &identityv1.CreateGroupRequest{Name: "sre", MemberIds: []string{h.IDs["walt"], h.IDs["otto"]}})
	if err != nil {
		h.t.Fatalf("group: %v", err)
	}
	h.groups["sre"] = g.GetId()
}

// recordingSink is the audit service as far as the relay can tell.
type recordingSink struct{ servicetest.Recorder }

func (s *recordingSink) received() []*eventsv1.Event { return s.Events() }

// forEachEngine runs test with policy on the memory engine and on a PostgreSQL database of
// its own (skipped loudly, or failed under CI=true, without PostgreSQL).
func forEachEngine(t *testing.T, test func(t *testing.T, o harnessOptions)) {
	t.Run("memory", func(t *testing.T) { test(t, harnessOptions{}) })
	t.Run("postgres", func(t *testing.T) { test(t, harnessOptions{postgresURL: pgtest.NewEmptyDatabase(t)}) })
}
