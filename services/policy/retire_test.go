package policy_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"

	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// TestRetiringAPolicyHandsResolutionToTheNextBroaderLevel: retiring a policy retires its
// active version in one step (audited as policy.retired), the next broader level governs
// new resolutions, a system default or a policy with nothing active cannot be retired
// (FAILED_PRECONDITION), and only Admins and the GM retire.
func TestRetiringAPolicyHandsResolutionToTheNextBroaderLevel(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		figma := h.apps["Figma"]
		grant := typev1.RequestType_GRANT_ACCESS
		app := h.create("admin", grant, &policyv1.Scope{AppId: figma}, reviewed("Owner"))
		h.activate(app.GetId(), 1)
		perm := h.create("admin", grant, &policyv1.Scope{AppId: figma, Permissions: []string{"admin"}}, reviewed("Security"))
		h.activate(perm.GetId(), 1)
		if r := h.resolve(grant, figma, "admin"); r.GetPolicyId() != perm.GetId() {
			t.Fatalf("before retiring: %v", r)
		}

		for _, who := range []string{"uma", "otto", "mona"} {
			_, err := h.client.RetirePolicy(h.As(who), &policyv1.RetirePolicyRequest{Id: perm.GetId()})
			wantCode(t, err, codes.PermissionDenied)
		}
		_, err := h.client.RetirePolicy(h.As("admin"), &policyv1.RetirePolicyRequest{})
		wantField(t, err, codes.InvalidArgument, "id")
		_, err = h.client.RetirePolicy(h.As("admin"), &policyv1.RetirePolicyRequest{Id: "no-such-policy"})
		wantCode(t, err, codes.NotFound)

		got, err := h.client.RetirePolicy(h.As("gm"), &policyv1.RetirePolicyRequest{Id: perm.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetActiveVersion() != 0 || got.GetId() != perm.GetId() {
			t.Errorf("retired policy: %v", got)
		}
		if v := h.version(perm.GetId(), 1); v.GetState() != policyv1.PolicyVersion_RETIRED || v.GetRetireTime() == nil {
			t.Errorf("its version: %v", v)
		}
		if r := h.resolve(grant, figma, "admin"); r.GetPolicyId() != app.GetId() || r.GetLevel() != policyv1.Level_APP {
			t.Errorf("after retiring the permission policy: %v, want the app default %s", r, app.GetId())
		}
		if acts := strings.Join(actions(h.outbox(perm.GetId())), " "); !strings.Contains(acts, "policy.version.retired@1 policy.retired@1") {
			t.Errorf("events of the retired policy: %s", acts)
		}
		for _, ev := range h.outbox(perm.GetId()) {
			if ev.GetAction() == "policy.retired" && (ev.GetSubject() != "policies/"+perm.GetId() || ev.GetActorId() != h.IDs["gm"]) {
				t.Errorf("policy.retired event: %v", ev)
			}
		}
		// Nothing is active any more: a second retirement is refused, and changes nothing.
		_, err = h.client.RetirePolicy(h.As("admin"), &policyv1.RetirePolicyRequest{Id: perm.GetId()})
		wantCode(t, err, codes.FailedPrecondition)

		if _, err := h.client.RetirePolicy(h.As("admin"), &policyv1.RetirePolicyRequest{Id: app.GetId()}); err != nil {
			t.Fatal(err)
		}
		if r := h.resolve(grant, figma, "admin"); r.GetLevel() != policyv1.Level_SYSTEM_DEFAULT {
			t.Errorf("after retiring the app default too: %v", r)
		}
		// A retired policy may be governed again by a new version.
		v2, err := h.client.CreatePolicyVersion(h.As("admin"), &policyv1.CreatePolicyVersionRequest{PolicyId: app.GetId(), Workflow: reviewed("Owner")})
		if err != nil {
			t.Fatal(err)
		}
		h.activate(app.GetId(), v2.GetVersion())
		if r := h.resolve(grant, figma, "admin"); r.GetPolicyId() != app.GetId() || r.GetVersion() != v2.GetVersion() {
			t.Errorf("after activating a new version: %v", r)
		}

		// The system defaults stay.
		for _, rt := range requestTypes {
			id := "system-default-" + strings.ReplaceAll(strings.ToLower(rt.String()), "_", "-")
			_, err := h.client.RetirePolicy(h.As("admin"), &policyv1.RetirePolicyRequest{Id: id})
			wantCode(t, err, codes.FailedPrecondition)
			if r := h.resolve(rt, "", ""); r.GetPolicyId() != id {
				t.Errorf("%s after a refused retirement: %v", rt, r)
			}
		}
	})
}

// TestChangingIntoAPermissionIsGovernedLikeBeingGrantedIt: CHANGE_PERMISSION into a
// permission that a permission-specific GRANT_ACCESS policy covers resolves to that policy
// (not to the looser CHANGE_PERMISSION default), and the reason says why; a
// CHANGE_PERMISSION policy of the same permission level still governs.
func TestChangingIntoAPermissionIsGovernedLikeBeingGrantedIt(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		figma := h.apps["Figma"]
		change := typev1.RequestType_CHANGE_PERMISSION
		if r := h.resolve(change, figma, "admin"); r.GetPolicyId() != "system-default-change-permission" {
			t.Fatalf("before any policy: %v", r)
		}
		sec := h.create("admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: figma, Permissions: []string{"admin"}}, reviewed("Manager", "Security"))
		h.activate(sec.GetId(), 1)
		r := h.resolve(change, figma, "admin")
		if r.GetPolicyId() != sec.GetId() || r.GetLevel() != policyv1.Level_PERMISSION || len(r.GetWorkflow().GetReviewSteps()) != 2 {
			t.Fatalf("CHANGE_PERMISSION into admin: %v, want the GRANT_ACCESS admin policy %s", r, sec.GetId())
		}
		for _, want := range []string{"GRANT_ACCESS", "never governed more loosely than being granted it", "SYSTEM_DEFAULT"} {
			if !strings.Contains(r.GetReason(), want) {
				t.Errorf("reason %q lacks %q", r.GetReason(), want)
			}
		}
		// Other permissions keep the CHANGE_PERMISSION resolution.
		if r := h.resolve(change, figma, "editor"); r.GetPolicyId() != "system-default-change-permission" {
			t.Errorf("CHANGE_PERMISSION into editor: %v", r)
		}
		// An app-level CHANGE_PERMISSION policy is less specific: the grant policy still wins.
		appChange := h.create("admin", change, &policyv1.Scope{AppId: figma}, reviewed("Owner"))
		h.activate(appChange.GetId(), 1)
		if r := h.resolve(change, figma, "admin"); r.GetPolicyId() != sec.GetId() || !strings.Contains(r.GetReason(), "APP-level") {
			t.Errorf("with an app CHANGE_PERMISSION policy: %v", r)
		}
		// A CHANGE_PERMISSION policy for admin itself is as specific: it governs.
		permChange := h.create("admin", change, &policyv1.Scope{AppId: figma, Permissions: []string{"admin"}}, reviewed("A", "B", "C"))
		h.activate(permChange.GetId(), 1)
		if r := h.resolve(change, figma, "admin"); r.GetPolicyId() != permChange.GetId() {
			t.Errorf("with a CHANGE_PERMISSION admin policy: %v", r)
		}
		// Retiring the grant policy hands CHANGE_PERMISSION back to its own levels.
		if _, err := h.client.RetirePolicy(h.As("admin"), &policyv1.RetirePolicyRequest{Id: permChange.GetId()}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.client.RetirePolicy(h.As("admin"), &policyv1.RetirePolicyRequest{Id: sec.GetId()}); err != nil {
			t.Fatal(err)
		}
		if r := h.resolve(change, figma, "admin"); r.GetPolicyId() != appChange.GetId() {
			t.Errorf("after retiring the grant policy: %v", r)
		}
	})
}
