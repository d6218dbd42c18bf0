package identity_test

import (
	"context"
	"log/slog"
	"testing"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/services/identity"
)

const bootstrapKey = "bootstrap-key-for-tests-0123456789"

// harness runs the identity service behind the kit's real server chain on an in-memory
// listener, and holds a small organization with an API key per person.
type harness struct {
	t        testing.TB
	svc      *identity.Service
	pub      identityv1.IdentityServiceClient
	internal identityv1.IdentityInternalServiceClient
	signer   *auth.Signer
	// People are the persons of the test by name (As, Onboard, Keys, IDs).
	*servicetest.People
	apps map[string]string // app name -> id
}

type harnessOptions struct {
	postgresURL string
	cache       *rediscache.Cache
	oidcIssuer  string
	oidcAud     string
	// allowPrivate lets connector URLs name local hosts (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE).
	allowPrivate bool
}

// testSecretsKey seals connector secrets in the tests (GRANTFLOW_SECRETS_KEY).
const testSecretsKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	svc, err := identity.New(ctx, identity.Options{Settings: kit.Settings{Logger: log, PostgresURL: o.postgresURL}, Cache: o.cache, BootstrapAdminKey: bootstrapKey, OIDCIssuer: o.oidcIssuer, OIDCAudience: o.oidcAud, SecretsKey: testSecretsKey, WebhookAllowPrivate: o.allowPrivate})
	if err != nil {
		t.Fatal(err)
	}
	signer := servicetest.Signer(t)
	srv := servicetest.Server(t, signer, svc.Authenticator(), kit.InternalMethod)
	svc.Register(srv)
	t.Cleanup(svc.Close) // after the server stopped (cleanups run last first)
	conn := servicetest.Serve(t, srv)
	h := &harness{t: t, svc: svc, pub: identityv1.NewIdentityServiceClient(conn), internal: identityv1.NewIdentityInternalServiceClient(conn),
		signer: signer, apps: map[string]string{}}
	h.People = servicetest.NewPeople(t, h.pub, bootstrapKey)
	return h
}

// system is a context calling as another Grantflow service would (signed internal token).
func (h *harness) system() context.Context { return servicetest.System(h.t, h.signer) }

// seedOrg builds:
//
//	gm (GENERAL_MANAGER)
//	├── admin (ADMIN)
//	├── mona (manager) ── uma, ulf
//	├── otto (owner of Figma)
//	└── vera ── walt (another team)
//
// Apps: Figma (owner otto; viewer, editor, admin*), Slack (owner vera; member, admin*).
func (h *harness) seedOrg() {
	h.t.Helper()
	h.Owners()
	for name, spec := range map[string]struct {
		owner string
		perms []*identityv1.Permission
	}{
		"Figma": {"otto", []*identityv1.Permission{{Name: "viewer"}, {Name: "editor"}, {Name: "admin", Privileged: true}}},
		"Slack": {"vera", []*identityv1.Permission{{Name: "member"}, {Name: "admin", Privileged: true}}},
	} {
		a, err := h.pub.CreateApp(h.As("admin"), &identityv1.CreateAppRequest{Name: name, OwnerIds: []string{h.IDs[spec.owner]}, Permissions: spec.perms,
			CustomRoles: []*identityv1.CustomRole{{Name: "security", UserIds: []string{h.IDs["walt"]}}}})
		if err != nil {
			h.t.Fatalf("app %s: %v", name, err)
		}
		h.apps[name] = a.GetId()
	}
}

func (h *harness) grant(reqID, person, app, perm string) {
	h.t.Helper()
	_, err := h.internal.ApplyAccessChange(h.system(), &identityv1.ApplyAccessChangeRequest{
		RequestId: reqID, Change: identityv1.AccessChange_GRANT, UserId: h.IDs[person], AppId: h.apps[app], Permission: perm})
	if err != nil {
		h.t.Fatalf("grant %s %s %s: %v", person, app, perm, err)
	}
}

// forEachEngine runs test on the memory engine and on a PostgreSQL database of its own
// (skipped loudly, or failed under CI=true, without PostgreSQL).
func forEachEngine(t *testing.T, test func(t *testing.T, o harnessOptions)) {
	t.Run("memory", func(t *testing.T) { test(t, harnessOptions{}) })
	t.Run("postgres", func(t *testing.T) { test(t, harnessOptions{postgresURL: pgtest.NewEmptyDatabase(t)}) })
}

// identityNew builds the service with only a store and a secrets key (start-up checks).
func identityNew(t *testing.T, postgresURL, key string) (*identity.Service, error) {
	s, err := identity.New(context.Background(), identity.Options{Settings: kit.Settings{Logger: slog.New(slog.DiscardHandler), PostgresURL: postgresURL}, SecretsKey: key})
	if err == nil {
		t.Cleanup(s.Close)
	}
	return s, err
}
