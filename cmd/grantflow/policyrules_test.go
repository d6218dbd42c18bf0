package main

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// TestChangingIntoGitHubAdminFollowsTheGitHubAdminPolicy: the demo's "GitHub admin"
// policy (manager, then every Security reviewer) governs CHANGE_PERMISSION into admin as
// it governs being granted admin, over REST and gRPC, and policies:resolve says why.
// Before, asking for read and then changing into admin fell to the system default.
func TestChangingIntoGitHubAdminFollowsTheGitHubAdminPolicy(t *testing.T) {
	s := startSystem(t, systemOptions{})
	x := newMatrixEnv(t, s)
	github, want := s.app["GitHub"], s.policy["github_admin"]
	check := func(tr, policyID, level, reason string) {
		t.Helper()
		if policyID != want || level != "PERMISSION" || !strings.Contains(reason, "never governed more loosely than being granted it") {
			t.Errorf("%s: CHANGE_PERMISSION into GitHub admin resolves to %s (%s): %q; want the GitHub admin policy %s", tr, policyID, level, reason, want)
		}
	}
	b := s.must("uma", "POST", "/v1/policies:resolve", map[string]any{"requestType": "CHANGE_PERMISSION", "appId": github, "permission": "admin"})
	check("REST", str(b, "policyId"), str(b, "level"), str(b, "reason"))
	r, err := x.policy.ResolvePolicy(x.as("uma"), &policyv1.ResolvePolicyRequest{RequestType: typev1.RequestType_CHANGE_PERMISSION, AppId: github, Permission: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	check("gRPC", r.GetPolicyId(), r.GetLevel().String(), r.GetReason())
	// Changing into write stays with the CHANGE_PERMISSION default.
	b = s.must("uma", "POST", "/v1/policies:resolve", map[string]any{"requestType": "CHANGE_PERMISSION", "appId": github, "permission": "write"})
	if str(b, "policyId") != "system-default-change-permission" {
		t.Errorf("CHANGE_PERMISSION into GitHub write: %v", b)
	}
}

// TestRetirePolicyOverRESTAndGRPC: POST /v1/policies/{id}:retire and its gRPC twin:
// Admin and GM only, the next broader level governs afterwards, system defaults refuse
// (FAILED_PRECONDITION, 400), a retirement is audited as policy.retired.
func TestRetirePolicyOverRESTAndGRPC(t *testing.T) {
	s := startSystem(t, systemOptions{})
	x := newMatrixEnv(t, s)
	github, sf := s.app["GitHub"], s.app["Salesforce"]
	resolve := func(app, perm string) string {
		return str(s.must("uma", "POST", "/v1/policies:resolve", map[string]any{"requestType": "GRANT_ACCESS", "appId": app, "permission": perm}), "policyId")
	}
	s.walk(t, []step{
		{name: "a user may not retire", as: "uma", method: "POST", path: "/v1/policies/" + s.policy["github_admin"] + ":retire", want: 403},
		{name: "an app owner may not retire", as: "otto", method: "POST", path: "/v1/policies/" + s.policy["github_admin"] + ":retire", want: 403},
		{name: "no credentials", method: "POST", path: "/v1/policies/" + s.policy["github_admin"] + ":retire", want: 401},
		{name: "unknown policy", as: "ada", method: "POST", path: "/v1/policies/no-such-policy:retire", want: 404},
		{name: "system default", as: "ada", method: "POST", path: "/v1/policies/system-default-grant-access:retire", want: 400,
			then: s.grpcCode(t, codes.FailedPrecondition)},
		{name: "the admin retires GitHub admin", as: "ada", method: "POST", path: "/v1/policies/" + s.policy["github_admin"] + ":retire", want: 200,
			then: func(b map[string]any) {
				if str(b, "id") != s.policy["github_admin"] || b["activeVersion"] != nil && str(b, "activeVersion") != "0" {
					t.Errorf("retired policy: %v", b)
				}
			}},
		{name: "twice", as: "ada", method: "POST", path: "/v1/policies/" + s.policy["github_admin"] + ":retire", want: 400,
			then: s.grpcCode(t, codes.FailedPrecondition)},
	})
	if got := resolve(github, "admin"); got != "system-default-grant-access" {
		t.Errorf("GitHub admin after retiring its policy resolves to %s", got)
	}
	_, err := x.policy.RetirePolicy(x.as("sara"), &policyv1.RetirePolicyRequest{Id: s.policy["salesforce"]})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("gRPC retire as a user: %v", err)
	}
	_, err = x.policy.RetirePolicy(x.as("ada"), &policyv1.RetirePolicyRequest{Id: "system-default-remove-access"})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("gRPC retire of a system default: %v", err)
	}
	if _, err := x.policy.RetirePolicy(x.as("grace"), &policyv1.RetirePolicyRequest{Id: s.policy["salesforce"]}); err != nil {
		t.Fatalf("gRPC retire as the GM: %v", err)
	}
	if got := resolve(sf, "user"); got != "system-default-grant-access" {
		t.Errorf("Salesforce after retiring its policy resolves to %s", got)
	}
	waitFor(t, "policy.retired audited", func() (bool, string) {
		evs := s.auditEvents(t, "ada", map[string][]string{"subject": {"policies/" + s.policy["salesforce"]}})
		if len(evs) == 0 { // the filter may be exact: the policy's own subject
			evs = s.auditEvents(t, "ada", nil)
		}
		acts := actionsOf(evs, "policyId", s.policy["salesforce"])
		return strings.Contains(strings.Join(acts, " "), "policy.retired"), strings.Join(acts, " ")
	})
}
