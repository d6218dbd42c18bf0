package policy_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/services/policy"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// pgtest keeps its admin connection for the binary's life; OpenTelemetry's global
		// delegate may start a goroutine on first use.
		goleak.IgnoreTopFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"),
	)
}

var (
	wantCode = servicetest.WantCode
	// wantField fails t unless err has code and a BadRequest naming field.
	wantField = servicetest.WantField
)

func step(name string, kind typev1.AssigneeKind) *typev1.Step {
	return &typev1.Step{Name: name, Assignee: &typev1.Assignee{Kind: kind}}
}

func reviewed(names ...string) *typev1.Workflow {
	w := &typev1.Workflow{ActionStep: step("Provision", typev1.AssigneeKind_AGENT)}
	for _, n := range names {
		w.ReviewSteps = append(w.ReviewSteps, step(n, typev1.AssigneeKind_MANAGER))
	}
	return w
}

func (h *harness) create(person string, rt typev1.RequestType, scope *policyv1.Scope, w *typev1.Workflow) *policyv1.Policy {
	h.t.Helper()
	p, err := h.client.CreatePolicy(h.As(person), &policyv1.CreatePolicyRequest{Name: fmt.Sprintf("%s %v", rt, scope), RequestType: rt, Scope: scope, Workflow: w})
	if err != nil {
		h.t.Fatalf("create policy %s %v: %v", rt, scope, err)
	}
	return p
}

func (h *harness) activate(policyID string, version int64) *policyv1.PolicyVersion {
	h.t.Helper()
	v, err := h.client.ActivatePolicyVersion(h.As("admin"), &policyv1.ActivatePolicyVersionRequest{PolicyId: policyID, Version: version})
	if err != nil {
		h.t.Fatalf("activate %s v%d: %v", policyID, version, err)
	}
	return v
}

func (h *harness) resolve(rt typev1.RequestType, app, perm string) *policyv1.ResolvePolicyResponse {
	h.t.Helper()
	res, err := h.client.ResolvePolicy(h.service(), &policyv1.ResolvePolicyRequest{RequestType: rt, AppId: app, Permission: perm})
	if err != nil {
		h.t.Fatalf("resolve %s %s %s: %v", rt, app, perm, err)
	}
	return res
}

func (h *harness) version(policyID string, n int64) *policyv1.PolicyVersion {
	h.t.Helper()
	v, err := h.client.GetPolicyVersion(h.As("uma"), &policyv1.GetPolicyVersionRequest{PolicyId: policyID, Version: n})
	if err != nil {
		h.t.Fatalf("get %s v%d: %v", policyID, n, err)
	}
	return v
}

// outbox returns the undelivered audit events, optionally of one policy only.
func (h *harness) outbox(policyID string) []*eventsv1.Event {
	h.t.Helper()
	evs, err := h.svc.Store().Pending(context.Background(), "audit", 10000)
	if err != nil {
		h.t.Fatal(err)
	}
	if policyID == "" {
		return evs
	}
	return slices.DeleteFunc(evs, func(ev *eventsv1.Event) bool { return ev.GetPolicyId() != policyID })
}

func actions(evs []*eventsv1.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = fmt.Sprintf("%s@%d", ev.GetAction(), ev.GetPolicyVersion())
	}
	return out
}

func countPolicies(t *testing.T, h *harness) int {
	t.Helper()
	return len(servicetest.Must(h.client.ListPolicies(h.As("uma"), &policyv1.ListPoliciesRequest{PageSize: 500}))(t, "ListPolicies").GetPolicies())
}

var requestTypes = []typev1.RequestType{typev1.RequestType_ADD_APP, typev1.RequestType_GRANT_ACCESS, typev1.RequestType_CHANGE_PERMISSION, typev1.RequestType_REMOVE_ACCESS, typev1.RequestType_ARCHIVE_APP}

func TestSystemDefaultsArePresentFromTheFirstStart(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		res, err := h.client.ListPolicies(h.As("uma"), &policyv1.ListPoliciesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range res.GetPolicies() {
			ids = append(ids, p.GetId())
			if p.GetLevel() != policyv1.Level_SYSTEM_DEFAULT || p.GetActiveVersion() != 1 || p.GetLatestVersion() != 1 || p.GetCreateBy() != auth.SystemUserID {
				t.Errorf("default %s: %v", p.GetId(), p)
			}
		}
		slices.Sort(ids)
		want := []string{"system-default-add-app", "system-default-archive-app", "system-default-change-permission", "system-default-grant-access", "system-default-remove-access"}
		if !slices.Equal(ids, want) {
			t.Fatalf("policies at start: %q, want %q", ids, want)
		}
		for _, rt := range requestTypes {
			r := h.resolve(rt, h.apps["Figma"], "")
			if r.GetLevel() != policyv1.Level_SYSTEM_DEFAULT || r.GetVersion() != 1 || !strings.Contains(r.GetReason(), "system default") {
				t.Errorf("resolve %s: %v", rt, r)
			}
		}
		grant := h.resolve(typev1.RequestType_GRANT_ACCESS, h.apps["Figma"], "admin").GetWorkflow()
		if len(grant.GetReviewSteps()) != 2 || grant.GetReviewSteps()[0].GetAssignee().GetKind() != typev1.AssigneeKind_MANAGER ||
			grant.GetReviewSteps()[1].GetAssignee().GetKind() != typev1.AssigneeKind_APP_OWNER || grant.GetActionStep().GetAssignee().GetKind() != typev1.AssigneeKind_APP_OWNER {
			t.Errorf("GRANT_ACCESS default: %v", grant)
		}
		if remove := h.resolve(typev1.RequestType_REMOVE_ACCESS, "", "").GetWorkflow(); len(remove.GetReviewSteps()) != 0 {
			t.Errorf("REMOVE_ACCESS default reviews: %v", remove)
		}
		// Seeded through the outbox like any change, by the system.
		evs := h.outbox("system-default-grant-access")
		if got := actions(evs); !slices.Equal(got, []string{"policy.created@1", "policy.version.created@1", "policy.version.activated@1"}) {
			t.Errorf("seed events: %q", got)
		}
		for _, ev := range evs {
			if ev.GetActorId() != auth.SystemUserID || ev.GetService() != policy.Kit.Name {
				t.Errorf("seed event %s by %q from %q", ev.GetAction(), ev.GetActorId(), ev.GetService())
			}
		}
		if o.postgresURL != "" {
			// A second start (another replica, a restart) seeds nothing again.
			before := len(h.outbox(""))
			again, err := policy.New(context.Background(), policy.Options{Settings: kit.Settings{PostgresURL: o.postgresURL}})
			if err != nil {
				t.Fatal(err)
			}
			again.Close()
			if after := len(h.outbox("")); after != before || countPolicies(t, h) != 5 {
				t.Errorf("a second start wrote: %d events before, %d after; %d policies", before, after, countPolicies(t, h))
			}
		}
	})
}

func TestPolicyLifecycle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		figma := h.apps["Figma"]
		ctx := h.As("admin")

		// Create: draft version 1, nothing active yet.
		p, err := h.client.CreatePolicy(ctx, &policyv1.CreatePolicyRequest{Name: "Figma access", RequestType: typev1.RequestType_GRANT_ACCESS,
			Scope: &policyv1.Scope{AppId: figma}, Workflow: reviewed("Manager")})
		if err != nil {
			t.Fatal(err)
		}
		if p.GetLatestVersion() != 1 || p.GetActiveVersion() != 0 || p.GetLevel() != policyv1.Level_APP || p.GetCreateBy() != h.IDs["admin"] || p.GetId() == "" {
			t.Fatalf("created: %v", p)
		}
		got, err := h.client.GetPolicy(h.As("uma"), &policyv1.GetPolicyRequest{Id: p.GetId()})
		if err != nil || !proto.Equal(got, p) {
			t.Fatalf("GetPolicy = %v, %v; want %v", got, err, p)
		}
		v1 := h.version(p.GetId(), 1)
		if v1.GetState() != policyv1.PolicyVersion_DRAFT || v1.GetEtag() == "" || len(v1.GetWorkflow().GetReviewSteps()) != 1 {
			t.Fatalf("v1: %v", v1)
		}
		// Still the system default until a version is active.
		if r := h.resolve(typev1.RequestType_GRANT_ACCESS, figma, "viewer"); r.GetLevel() != policyv1.Level_SYSTEM_DEFAULT {
			t.Fatalf("a draft resolved: %v", r)
		}

		// Edit the draft, with its etag; a stale etag is a lost race.
		edited, err := h.client.UpdatePolicyVersion(ctx, &policyv1.UpdatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1, Workflow: reviewed("Manager", "Owner"), Etag: v1.GetEtag()})
		if err != nil || len(edited.GetWorkflow().GetReviewSteps()) != 2 || edited.GetEtag() == v1.GetEtag() {
			t.Fatalf("edit: %v %v", edited, err)
		}
		_, err = h.client.UpdatePolicyVersion(ctx, &policyv1.UpdatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1, Workflow: reviewed("Stale"), Etag: v1.GetEtag()})
		wantCode(t, err, codes.Aborted)
		// Without an etag the edit is unconditional.
		if _, err := h.client.UpdatePolicyVersion(ctx, &policyv1.UpdatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1, Workflow: reviewed("Manager", "Owner")}); err != nil {
			t.Fatal(err)
		}

		// Version 2, deleted; its number is not given again.
		v2, err := h.client.CreatePolicyVersion(ctx, &policyv1.CreatePolicyVersionRequest{PolicyId: p.GetId(), Workflow: reviewed()})
		if err != nil || v2.GetVersion() != 2 || v2.GetState() != policyv1.PolicyVersion_DRAFT {
			t.Fatalf("v2: %v %v", v2, err)
		}
		if _, err := h.client.DeletePolicyVersion(ctx, &policyv1.DeletePolicyVersionRequest{PolicyId: p.GetId(), Version: 2}); err != nil {
			t.Fatal(err)
		}
		_, err = h.client.GetPolicyVersion(ctx, &policyv1.GetPolicyVersionRequest{PolicyId: p.GetId(), Version: 2})
		wantCode(t, err, codes.NotFound)
		v3, err := h.client.CreatePolicyVersion(ctx, &policyv1.CreatePolicyVersionRequest{PolicyId: p.GetId(), Workflow: reviewed("Security")})
		if err != nil || v3.GetVersion() != 3 {
			t.Fatalf("v3: %v %v", v3, err)
		}

		// Activate 1: it resolves; it no longer changes.
		if a := h.activate(p.GetId(), 1); a.GetState() != policyv1.PolicyVersion_ACTIVE || a.GetActivateTime() == nil {
			t.Fatalf("activated: %v", a)
		}
		if r := h.resolve(typev1.RequestType_GRANT_ACCESS, figma, "viewer"); r.GetPolicyId() != p.GetId() || r.GetVersion() != 1 || r.GetLevel() != policyv1.Level_APP {
			t.Fatalf("resolve after activation: %v", r)
		}
		_, err = h.client.UpdatePolicyVersion(ctx, &policyv1.UpdatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1, Workflow: reviewed("Sneaky")})
		wantCode(t, err, codes.FailedPrecondition)
		_, err = h.client.DeletePolicyVersion(ctx, &policyv1.DeletePolicyVersionRequest{PolicyId: p.GetId(), Version: 1})
		wantCode(t, err, codes.FailedPrecondition)
		_, err = h.client.ActivatePolicyVersion(ctx, &policyv1.ActivatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1})
		wantCode(t, err, codes.FailedPrecondition)

		// Activate 3: 1 retires in the same change.
		h.activate(p.GetId(), 3)
		if old := h.version(p.GetId(), 1); old.GetState() != policyv1.PolicyVersion_RETIRED || old.GetRetireTime() == nil || len(old.GetWorkflow().GetReviewSteps()) != 2 {
			t.Fatalf("v1 after activating v3: %v", old)
		}
		if r := h.resolve(typev1.RequestType_GRANT_ACCESS, figma, "viewer"); r.GetVersion() != 3 || r.GetWorkflow().GetReviewSteps()[0].GetName() != "Security" {
			t.Fatalf("resolve after the second activation: %v", r)
		}
		got, _ = h.client.GetPolicy(ctx, &policyv1.GetPolicyRequest{Id: p.GetId()})
		if got.GetActiveVersion() != 3 || got.GetLatestVersion() != 3 {
			t.Fatalf("policy after: %v", got)
		}
		for _, n := range []int64{1, 3} {
			_, err = h.client.UpdatePolicyVersion(ctx, &policyv1.UpdatePolicyVersionRequest{PolicyId: p.GetId(), Version: n, Workflow: reviewed("Sneaky")})
			wantCode(t, err, codes.FailedPrecondition)
		}
		_, err = h.client.ActivatePolicyVersion(ctx, &policyv1.ActivatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1})
		wantCode(t, err, codes.FailedPrecondition) // retired versions never return
		vs, err := h.client.ListPolicyVersions(h.As("uma"), &policyv1.ListPolicyVersionsRequest{PolicyId: p.GetId()})
		if err != nil || len(vs.GetVersions()) != 2 || vs.GetVersions()[0].GetState() != policyv1.PolicyVersion_RETIRED || vs.GetVersions()[1].GetState() != policyv1.PolicyVersion_ACTIVE {
			t.Fatalf("versions: %v %v", vs, err)
		}

		// Every change is an audit event in the outbox, naming the policy and version.
		evs := h.outbox(p.GetId())
		want := []string{
			"policy.created@1", "policy.version.created@1", "policy.version.updated@1", "policy.version.updated@1",
			"policy.version.created@2", "policy.version.deleted@2", "policy.version.created@3",
			"policy.version.activated@1", "policy.version.retired@1", "policy.version.activated@3",
		}
		if got := actions(evs); !slices.Equal(got, want) {
			t.Fatalf("events:\n got %q\nwant %q", got, want)
		}
		for _, ev := range evs {
			wantSubject := "policies/" + p.GetId() + "/versions/" + fmt.Sprint(ev.GetPolicyVersion())
			if ev.GetAction() == "policy.created" {
				wantSubject = "policies/" + p.GetId()
			}
			if ev.GetActorId() != h.IDs["admin"] || ev.GetService() != policy.Kit.Name || ev.GetSubject() != wantSubject || ev.GetId() == "" || ev.GetPolicyVersionChanged().GetPolicyId()+ev.GetPolicyChanged().GetPolicyId() != p.GetId() {
				t.Errorf("event %s: actor %q service %q subject %q", ev.GetAction(), ev.GetActorId(), ev.GetService(), ev.GetSubject())
			}
		}
	})
}

func TestOnlyAdminsAndTheGeneralManagerChangePolicies(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	figma := h.apps["Figma"]
	own := h.create("gm", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: figma}, reviewed("Manager"))
	before, events := countPolicies(t, h), len(h.outbox(""))
	writes := map[string]func(ctx context.Context) error{
		"create": func(ctx context.Context) error {
			_, err := h.client.CreatePolicy(ctx, &policyv1.CreatePolicyRequest{Name: "x", RequestType: typev1.RequestType_REMOVE_ACCESS, Scope: &policyv1.Scope{}, Workflow: reviewed()})
			return err
		},
		"new version": func(ctx context.Context) error {
			_, err := h.client.CreatePolicyVersion(ctx, &policyv1.CreatePolicyVersionRequest{PolicyId: own.GetId(), Workflow: reviewed()})
			return err
		},
		"edit draft": func(ctx context.Context) error {
			_, err := h.client.UpdatePolicyVersion(ctx, &policyv1.UpdatePolicyVersionRequest{PolicyId: own.GetId(), Version: 1, Workflow: reviewed()})
			return err
		},
		"delete draft": func(ctx context.Context) error {
			_, err := h.client.DeletePolicyVersion(ctx, &policyv1.DeletePolicyVersionRequest{PolicyId: own.GetId(), Version: 1})
			return err
		},
		"activate": func(ctx context.Context) error {
			_, err := h.client.ActivatePolicyVersion(ctx, &policyv1.ActivatePolicyVersionRequest{PolicyId: own.GetId(), Version: 1})
			return err
		},
	}
	// A user, a manager, an app owner (of the very app): none may.
	for _, person := range []string{"uma", "mona", "otto"} {
		for name, call := range writes {
			t.Run(person+" "+name, func(t *testing.T) { wantCode(t, call(h.As(person)), codes.PermissionDenied) })
		}
	}
	for name, call := range writes {
		t.Run("anonymous "+name, func(t *testing.T) { wantCode(t, call(context.Background()), codes.Unauthenticated) })
	}
	if countPolicies(t, h) != before || len(h.outbox("")) != events {
		t.Fatal("a refused write changed something")
	}
	// Everyone authenticated reads and resolves.
	for _, person := range []string{"uma", "otto"} {
		ctx := h.As(person)
		if _, err := h.client.GetPolicy(ctx, &policyv1.GetPolicyRequest{Id: own.GetId()}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.ListPolicyVersions(ctx, &policyv1.ListPolicyVersionsRequest{PolicyId: own.GetId()}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.ResolvePolicy(ctx, &policyv1.ResolvePolicyRequest{RequestType: typev1.RequestType_GRANT_ACCESS, AppId: figma}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := h.client.ResolvePolicy(context.Background(), &policyv1.ResolvePolicyRequest{RequestType: typev1.RequestType_GRANT_ACCESS})
	wantCode(t, err, codes.Unauthenticated)
	// The General Manager and an Admin may.
	h.activate(own.GetId(), 1)
	if _, err := h.client.CreatePolicyVersion(h.As("gm"), &policyv1.CreatePolicyVersionRequest{PolicyId: own.GetId(), Workflow: reviewed()}); err != nil {
		t.Fatal(err)
	}
}

func TestResolutionTakesTheMostSpecificActivePolicy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		figma, slack := h.apps["Figma"], h.apps["Slack"]
		grant := typev1.RequestType_GRANT_ACCESS
		check := func(app, perm string, wantID string, wantLevel policyv1.Level, reason string) {
			t.Helper()
			r := h.resolve(grant, app, perm)
			if r.GetPolicyId() != wantID || r.GetLevel() != wantLevel || !strings.Contains(r.GetReason(), reason) || r.GetWorkflow().GetActionStep() == nil || r.GetPolicyName() == "" {
				t.Errorf("resolve(%q, %q) = %v, want %s at %v with a reason containing %q", app, perm, r, wantID, wantLevel, reason)
			}
		}
		check(figma, "admin", "system-default-grant-access", policyv1.Level_SYSTEM_DEFAULT, "no global policy")

		global := h.create("admin", grant, &policyv1.Scope{}, reviewed("Manager"))
		h.activate(global.GetId(), 1)
		check(figma, "admin", global.GetId(), policyv1.Level_GLOBAL, "global policy")
		// An app identity does not know falls through (resolution asks nobody).
		check("no-such-app", "admin", global.GetId(), policyv1.Level_GLOBAL, "has no GRANT_ACCESS policy")

		app := h.create("admin", grant, &policyv1.Scope{AppId: figma}, reviewed("Owner"))
		h.activate(app.GetId(), 1)
		check(figma, "viewer", app.GetId(), policyv1.Level_APP, "no permission-specific policy")
		check(figma, "", app.GetId(), policyv1.Level_APP, "app default policy")
		check(slack, "admin", global.GetId(), policyv1.Level_GLOBAL, "global")

		perm := h.create("admin", grant, &policyv1.Scope{AppId: figma, Permissions: []string{"admin"}}, reviewed("Security"))
		h.activate(perm.GetId(), 1)
		check(figma, "admin", perm.GetId(), policyv1.Level_PERMISSION, `covers permission "admin"`)
		check(figma, "editor", app.GetId(), policyv1.Level_APP, "app default")

		// A draft changes nothing until it is activated.
		h.create("admin", grant, &policyv1.Scope{AppId: figma, Permissions: []string{"editor"}}, reviewed())
		check(figma, "editor", app.GetId(), policyv1.Level_APP, "app default")

		// Other request types are untouched.
		if r := h.resolve(typev1.RequestType_REMOVE_ACCESS, figma, "admin"); r.GetLevel() != policyv1.Level_SYSTEM_DEFAULT {
			t.Errorf("REMOVE_ACCESS: %v", r)
		}
		// The system default changes by a new version, like any policy.
		sys := "system-default-remove-access"
		v2, err := h.client.CreatePolicyVersion(h.As("admin"), &policyv1.CreatePolicyVersionRequest{PolicyId: sys, Workflow: reviewed("Manager")})
		if err != nil {
			t.Fatal(err)
		}
		h.activate(sys, v2.GetVersion())
		if r := h.resolve(typev1.RequestType_REMOVE_ACCESS, figma, "admin"); r.GetPolicyId() != sys || r.GetVersion() != 2 || r.GetLevel() != policyv1.Level_SYSTEM_DEFAULT {
			t.Errorf("edited default: %v", r)
		}
		if old := h.version(sys, 1); old.GetState() != policyv1.PolicyVersion_RETIRED {
			t.Errorf("old default: %v", old)
		}

		_, err = h.client.ResolvePolicy(h.As("uma"), &policyv1.ResolvePolicyRequest{RequestType: grant, Permission: "admin"})
		wantField(t, err, codes.InvalidArgument, "app_id")
		_, err = h.client.ResolvePolicy(h.As("uma"), &policyv1.ResolvePolicyRequest{AppId: figma})
		wantField(t, err, codes.InvalidArgument, "request_type")
	})
}

func TestAmbiguousScopesAreRefused(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	figma := h.apps["Figma"]
	grant := typev1.RequestType_GRANT_ACCESS
	global := h.create("admin", grant, &policyv1.Scope{}, reviewed())
	app := h.create("admin", grant, &policyv1.Scope{AppId: figma}, reviewed())
	perm := h.create("admin", grant, &policyv1.Scope{AppId: figma, Permissions: []string{"admin", "editor"}}, reviewed())
	h.activate(perm.GetId(), 1)
	before, events := countPolicies(t, h), len(h.outbox(""))
	for _, tc := range []struct {
		name    string
		scope   *policyv1.Scope
		field   string
		blocker string
	}{
		{"a second global policy", &policyv1.Scope{}, "scope", global.GetId()},
		{"a second app policy", &policyv1.Scope{AppId: figma}, "scope.app_id", app.GetId()},
		{"overlapping permissions", &policyv1.Scope{AppId: figma, Permissions: []string{"viewer", "admin"}}, "scope.permissions", perm.GetId()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.client.CreatePolicy(h.As("admin"), &policyv1.CreatePolicyRequest{Name: tc.name, RequestType: grant, Scope: tc.scope, Workflow: reviewed()})
			wantField(t, err, codes.FailedPrecondition, tc.field)
			if !strings.Contains(status.Convert(err).Message(), tc.blocker) {
				t.Errorf("the refusal does not name the policy in the way (%s): %v", tc.blocker, err)
			}
		})
	}
	if countPolicies(t, h) != before || len(h.outbox("")) != events {
		t.Fatal("a refused policy was written")
	}
	// Disjoint permissions, or the same scope for another request type, are no ambiguity.
	h.create("admin", grant, &policyv1.Scope{AppId: figma, Permissions: []string{"viewer"}}, reviewed())
	h.create("admin", typev1.RequestType_CHANGE_PERMISSION, &policyv1.Scope{AppId: figma, Permissions: []string{"admin"}}, reviewed())
	h.create("admin", typev1.RequestType_CHANGE_PERMISSION, &policyv1.Scope{}, reviewed())
}

func TestBadInputIsRefusedNamingTheFieldAndWritesNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		figma := h.apps["Figma"]
		if _, err := h.idPub.OffboardUser(h.As("admin"), &identityv1.OffboardUserRequest{Id: h.IDs["ulf"]}); err != nil {
			t.Fatal(err)
		}
		target := h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: figma}, reviewed("Manager"))
		before, events := countPolicies(t, h), len(h.outbox(""))
		grant := typev1.RequestType_GRANT_ACCESS
		figmaScope := &policyv1.Scope{AppId: figma}
		with := func(change func(w *typev1.Workflow)) *typev1.Workflow {
			w := reviewed("Manager", "Owner")
			w.ReviewSteps[1].Assignee.Kind = typev1.AssigneeKind_APP_OWNER
			change(w)
			return w
		}
		cases := []struct {
			name  string
			rt    typev1.RequestType
			scope *policyv1.Scope
			w     *typev1.Workflow
			field string
		}{
			{"agent reviews", grant, figmaScope, with(func(w *typev1.Workflow) { w.ReviewSteps[0].Assignee.Kind = typev1.AssigneeKind_AGENT }), "workflow.review_steps[0].assignee.kind"},
			{"groups without ids", grant, figmaScope, with(func(w *typev1.Workflow) { w.ReviewSteps[1].Assignee.Kind = typev1.AssigneeKind_USER_GROUPS }), "workflow.review_steps[1].assignee.group_ids"},
			{"users without ids", grant, figmaScope, with(func(w *typev1.Workflow) { w.ActionStep.Assignee.Kind = typev1.AssigneeKind_USERS }), "workflow.action_step.assignee.user_ids"},
			{"custom role without a name", grant, figmaScope, with(func(w *typev1.Workflow) { w.ReviewSteps[0].Assignee.Kind = typev1.AssigneeKind_CUSTOM_ROLE }), "workflow.review_steps[0].assignee.custom_role"},
			{"quorum without min", grant, figmaScope, with(func(w *typev1.Workflow) { w.ReviewSteps[0].Approval = typev1.Approval_QUORUM }), "workflow.review_steps[0].min_approvals"},
			{"quorum beyond the users", grant, figmaScope, with(func(w *typev1.Workflow) {
				w.ReviewSteps[0] = &typev1.Step{Name: "Pair", Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: []string{h.IDs["uma"]}}, Approval: typev1.Approval_QUORUM, MinApprovals: 2}
			}), "workflow.review_steps[0].min_approvals"},
			{"min approvals without quorum", grant, figmaScope, with(func(w *typev1.Workflow) { w.ReviewSteps[0].MinApprovals = 1 }), "workflow.review_steps[0].min_approvals"},
			{"approval on the action step", grant, figmaScope, with(func(w *typev1.Workflow) { w.ActionStep.Approval = typev1.Approval_ALL }), "workflow.action_step.approval"},
			{"duplicate step names", grant, figmaScope, with(func(w *typev1.Workflow) { w.ReviewSteps[1].Name = "manager" }), "workflow.review_steps[1].name"},
			{"empty step name", grant, figmaScope, with(func(w *typev1.Workflow) { w.ReviewSteps[0].Name = "" }), "workflow.review_steps[0].name"},
			{"no action step", grant, figmaScope, with(func(w *typev1.Workflow) { w.ActionStep = nil }), "workflow.action_step"},
			{"no workflow", grant, figmaScope, nil, "workflow"},
			{"no request type", typev1.RequestType_REQUEST_TYPE_UNSPECIFIED, &policyv1.Scope{}, reviewed(), "request_type"},
			{"unknown group", grant, figmaScope, with(func(w *typev1.Workflow) {
				w.ReviewSteps[1].Assignee = &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{h.groups["sre"], "ghost-group"}}
			}), "workflow.review_steps[1].assignee.group_ids[1]"},
			{"unknown user", grant, figmaScope, with(func(w *typev1.Workflow) {
				w.ActionStep.Assignee = &typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: []string{"ghost-user"}}
			}), "workflow.action_step.assignee.user_ids[0]"},
			{"offboarded user", grant, figmaScope, with(func(w *typev1.Workflow) {
				w.ActionStep.Assignee = &typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: []string{h.IDs["ulf"]}}
			}), "workflow.action_step.assignee.user_ids[0]"},
			{"custom role the app lacks", grant, figmaScope, with(func(w *typev1.Workflow) {
				w.ReviewSteps[0].Assignee = &typev1.Assignee{Kind: typev1.AssigneeKind_CUSTOM_ROLE, CustomRole: "auditors"}
			}), "workflow.review_steps[0].assignee.custom_role"},
			{"unknown app", grant, &policyv1.Scope{AppId: "ghost-app"}, reviewed(), "scope.app_id"},
			{"unknown permission", grant, &policyv1.Scope{AppId: figma, Permissions: []string{"superuser"}}, reviewed(), "scope.permissions[0]"},
			{"permissions without an app", grant, &policyv1.Scope{Permissions: []string{"admin"}}, reviewed(), "scope.app_id"},
			{"ADD_APP for one app", typev1.RequestType_ADD_APP, figmaScope, reviewed(), "scope.app_id"},
			{"privileged users of an app that does not exist yet", typev1.RequestType_ADD_APP, &policyv1.Scope{}, with(func(w *typev1.Workflow) {
				w.ReviewSteps[1].Assignee.Kind = typev1.AssigneeKind_PRIVILEGED_USERS
			}), "workflow.review_steps[1].assignee.kind"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := h.client.CreatePolicy(h.As("admin"), &policyv1.CreatePolicyRequest{Name: tc.name, RequestType: tc.rt, Scope: tc.scope, Workflow: tc.w})
				wantField(t, err, codes.InvalidArgument, tc.field)
			})
		}
		t.Run("missing name", func(t *testing.T) {
			_, err := h.client.CreatePolicy(h.As("admin"), &policyv1.CreatePolicyRequest{RequestType: grant, Scope: &policyv1.Scope{}, Workflow: reviewed()})
			wantField(t, err, codes.InvalidArgument, "name")
		})
		t.Run("bad new version", func(t *testing.T) {
			_, err := h.client.CreatePolicyVersion(h.As("admin"), &policyv1.CreatePolicyVersionRequest{PolicyId: target.GetId(),
				Workflow: with(func(w *typev1.Workflow) { w.ReviewSteps[1].Assignee.Kind = typev1.AssigneeKind_AGENT })})
			wantField(t, err, codes.InvalidArgument, "workflow.review_steps[1].assignee.kind")
		})
		t.Run("bad edit", func(t *testing.T) {
			_, err := h.client.UpdatePolicyVersion(h.As("admin"), &policyv1.UpdatePolicyVersionRequest{PolicyId: target.GetId(), Version: 1,
				Workflow: with(func(w *typev1.Workflow) {
					w.ReviewSteps[1].Assignee = &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{"ghost-group"}}
				})})
			wantField(t, err, codes.InvalidArgument, "workflow.review_steps[1].assignee.group_ids[0]")
		})
		t.Run("bad page size", func(t *testing.T) {
			_, err := h.client.ListPolicies(h.As("uma"), &policyv1.ListPoliciesRequest{PageSize: 501})
			wantField(t, err, codes.InvalidArgument, "page_size")
		})
		t.Run("bad page token", func(t *testing.T) {
			_, err := h.client.ListPolicies(h.As("uma"), &policyv1.ListPoliciesRequest{PageToken: "!!"})
			wantField(t, err, codes.InvalidArgument, "page_token")
		})
		if countPolicies(t, h) != before || len(h.outbox("")) != events {
			t.Fatalf("bad input wrote: %d policies (was %d), %d events (was %d)", countPolicies(t, h), before, len(h.outbox("")), events)
		}
		if v := h.version(target.GetId(), 1); len(v.GetWorkflow().GetReviewSteps()) != 1 || v.GetEtag() != `"1"` {
			t.Fatalf("refused edit changed the draft: %v", v)
		}
		// A good workflow naming real groups, users and the app's custom role passes.
		ok := with(func(w *typev1.Workflow) {
			w.ReviewSteps[0] = &typev1.Step{Name: "Pair", Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: []string{h.IDs["uma"], h.IDs["walt"]}}, Approval: typev1.Approval_QUORUM, MinApprovals: 2}
			w.ReviewSteps[1].Assignee = &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{h.groups["sre"]}}
			w.ReviewSteps = append(w.ReviewSteps, &typev1.Step{Name: "Security", Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_CUSTOM_ROLE, CustomRole: "security"}, Approval: typev1.Approval_ALL})
		})
		if _, err := h.client.CreatePolicyVersion(h.As("admin"), &policyv1.CreatePolicyVersionRequest{PolicyId: target.GetId(), Workflow: ok}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestActivationRechecksWhatTheDraftNames(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	w := &typev1.Workflow{ReviewSteps: []*typev1.Step{{Name: "SRE", Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{h.groups["sre"]}}}},
		ActionStep: step("Do", typev1.AssigneeKind_AGENT)}
	p := h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{}, w)
	if _, err := h.idPub.DeleteGroup(h.As("admin"), &identityv1.DeleteGroupRequest{Id: h.groups["sre"]}); err != nil {
		t.Fatal(err)
	}
	_, err := h.client.ActivatePolicyVersion(h.As("admin"), &policyv1.ActivatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1})
	wantField(t, err, codes.InvalidArgument, "workflow.review_steps[0].assignee.group_ids[0]")
	if v := h.version(p.GetId(), 1); v.GetState() != policyv1.PolicyVersion_DRAFT {
		t.Fatalf("refused activation changed the draft: %v", v)
	}
}

func TestListsPageInAStableOrderAndFilter(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	figma, slack := h.apps["Figma"], h.apps["Slack"]
	created := []*policyv1.Policy{
		h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: figma}, reviewed()),
		h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: slack}, reviewed()),
		h.create("admin", typev1.RequestType_REMOVE_ACCESS, &policyv1.Scope{AppId: figma}, reviewed()),
		h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: figma, Permissions: []string{"admin"}}, reviewed()),
	}
	var all []string
	pages := 0
	for _, p := range servicetest.AllPages(t, func(token string) ([]*policyv1.Policy, string, error) {
		res, err := h.client.ListPolicies(h.As("uma"), &policyv1.ListPoliciesRequest{PageSize: 2, PageToken: token})
		if pages++; len(res.GetPolicies()) > 2 || pages > 11 {
			t.Fatalf("page %d of %d", pages, len(res.GetPolicies()))
		}
		return res.GetPolicies(), res.GetNextPageToken(), err
	}) {
		all = append(all, p.GetId())
	}
	if len(all) != 9 || !slices.IsSorted(all) {
		t.Fatalf("paged ids: %q", all)
	}
	filtered := func(rt typev1.RequestType, app string) []string {
		res, err := h.client.ListPolicies(h.As("uma"), &policyv1.ListPoliciesRequest{RequestType: rt, AppId: app})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range res.GetPolicies() {
			ids = append(ids, p.GetId())
		}
		return ids
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	if got := filtered(typev1.RequestType_GRANT_ACCESS, figma); !slices.Equal(got, sorted(created[0].GetId(), created[3].GetId())) {
		t.Errorf("GRANT_ACCESS on Figma: %q", got)
	}
	if got := filtered(typev1.RequestType_REQUEST_TYPE_UNSPECIFIED, figma); len(got) != 3 {
		t.Errorf("on Figma: %q", got)
	}
	if got := filtered(typev1.RequestType_REMOVE_ACCESS, ""); len(got) != 2 { // with the system default
		t.Errorf("REMOVE_ACCESS: %q", got)
	}
	// A token of one list is not another's.
	res, _ := h.client.ListPolicies(h.As("uma"), &policyv1.ListPoliciesRequest{PageSize: 1})
	_, err := h.client.ListPolicies(h.As("uma"), &policyv1.ListPoliciesRequest{PageSize: 1, AppId: figma, PageToken: res.GetNextPageToken()})
	wantField(t, err, codes.InvalidArgument, "page_token")

	// Versions page by number.
	id := created[0].GetId()
	for range 4 {
		if _, err := h.client.CreatePolicyVersion(h.As("admin"), &policyv1.CreatePolicyVersionRequest{PolicyId: id, Workflow: reviewed()}); err != nil {
			t.Fatal(err)
		}
	}
	var numbers []int64
	for _, v := range servicetest.AllPages(t, func(token string) ([]*policyv1.PolicyVersion, string, error) {
		res, err := h.client.ListPolicyVersions(h.As("uma"), &policyv1.ListPolicyVersionsRequest{PolicyId: id, PageSize: 2, PageToken: token})
		return res.GetVersions(), res.GetNextPageToken(), err
	}) {
		numbers = append(numbers, v.GetVersion())
	}
	if !slices.Equal(numbers, []int64{1, 2, 3, 4, 5}) {
		t.Fatalf("versions: %v", numbers)
	}
	_, err = h.client.ListPolicyVersions(h.As("uma"), &policyv1.ListPolicyVersionsRequest{PolicyId: "ghost"})
	wantCode(t, err, codes.NotFound)
	_, err = h.client.GetPolicy(h.As("uma"), &policyv1.GetPolicyRequest{Id: "ghost"})
	wantCode(t, err, codes.NotFound)
}

// TestTheDatabaseRefusesToRewriteHistory activates a version through the API, then tries
// to change and delete it with raw SQL, as an operator in psql might.
func TestTheDatabaseRefusesToRewriteHistory(t *testing.T) {
	url := pgtest.NewEmptyDatabase(t)
	h := newHarness(t, harnessOptions{postgresURL: url})
	h.seedOrg()
	p := h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps["Figma"]}, reviewed("Manager"))
	h.activate(p.GetId(), 1)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	for _, sql := range []string{
		`UPDATE policy.policy_versions SET workflow = '{"actionStep":{"name":"x","assignee":{"kind":"AGENT"}}}' WHERE policy_id = $1`,
		`UPDATE policy.policy_versions SET state = 'DRAFT' WHERE policy_id = $1`,
		`DELETE FROM policy.policy_versions WHERE policy_id = $1`,
		`UPDATE policy.policy_versions SET workflow = '{}' WHERE policy_id = 'system-default-grant-access' AND $1 <> ''`,
	} {
		_, err := conn.Exec(t.Context(), sql, p.GetId())
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "GF001" {
			t.Errorf("%s: err = %v, want the guard's GF001", sql, err)
		}
	}
	if r := h.resolve(typev1.RequestType_GRANT_ACCESS, h.apps["Figma"], ""); r.GetPolicyId() != p.GetId() || r.GetWorkflow().GetReviewSteps()[0].GetName() != "Manager" {
		t.Fatalf("after the attempts: %v", r)
	}
}

// TestActivationReachesEveryReplicaAtOnce runs two policy services on one database: a
// version activated through one is what the other resolves on its very next call.
func TestActivationReachesEveryReplicaAtOnce(t *testing.T) {
	url := pgtest.NewEmptyDatabase(t)
	h := newHarness(t, harnessOptions{postgresURL: url})
	h.seedOrg()
	replica, err := policy.New(context.Background(), policy.Options{Settings: kit.Settings{PostgresURL: url}, Identity: h.internal})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(replica.Close)
	srv, _, err := grpcserver.New(grpcserver.Options{Auth: auth.ServerOptions{Signer: h.signer, Authenticator: auth.Identity(h.internal)}})
	if err != nil {
		t.Fatal(err)
	}
	replica.Register(srv)
	other := policyv1.NewPolicyServiceClient(servicetest.Serve(t, srv))
	resolveThere := func() *policyv1.ResolvePolicyResponse {
		r, err := other.ResolvePolicy(h.service(), &policyv1.ResolvePolicyRequest{RequestType: typev1.RequestType_GRANT_ACCESS, AppId: h.apps["Figma"], Permission: "admin"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := resolveThere(); r.GetLevel() != policyv1.Level_SYSTEM_DEFAULT {
		t.Fatalf("before: %v", r)
	}
	p := h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps["Figma"], Permissions: []string{"admin"}}, reviewed("Manager"))
	h.activate(p.GetId(), 1)
	if r := resolveThere(); r.GetPolicyId() != p.GetId() || r.GetVersion() != 1 {
		t.Fatalf("the replica still resolves %v", r)
	}
	v2, err := h.client.CreatePolicyVersion(h.As("admin"), &policyv1.CreatePolicyVersionRequest{PolicyId: p.GetId(), Workflow: reviewed("Owner")})
	if err != nil {
		t.Fatal(err)
	}
	h.activate(p.GetId(), v2.GetVersion())
	if r := resolveThere(); r.GetVersion() != 2 || r.GetWorkflow().GetReviewSteps()[0].GetName() != "Owner" {
		t.Fatalf("the replica still resolves %v", r)
	}
}

func TestEventsReachTheAuditSink(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.svc.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	p := h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{}, reviewed())
	h.activate(p.GetId(), 1)
	h.audit.Until(t, "the policy's three events in the audit sink", func() (bool, string) {
		var got []string
		for _, ev := range h.audit.received() {
			if ev.GetPolicyId() == p.GetId() {
				got = append(got, fmt.Sprintf("%s@%d", ev.GetAction(), ev.GetPolicyVersion()))
			}
		}
		return slices.Equal(got, []string{"policy.created@1", "policy.version.created@1", "policy.version.activated@1"}), fmt.Sprintf("the audit sink got %q", got)
	})
	if n := len(h.audit.received()); n < 15+3 { // the seeded defaults' too
		t.Fatalf("the audit sink got %d events", n)
	}
}
