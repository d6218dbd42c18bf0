package domain

import (
	"slices"
	"strings"
	"testing"
)

func rev(name string, kind string) Step {
	return Step{Name: name, Assignee: Assignee{Kind: kind}, Approval: ApprovalAny}
}

func act(name string, kind string) Step {
	return Step{Name: name, Assignee: Assignee{Kind: kind}}
}

// valid is a workflow that breaks no rule; each case below changes one thing.
func valid() Workflow {
	return Workflow{
		ReviewSteps: []Step{rev("Manager", Manager), rev("Owner", AppOwner)},
		ActionStep:  act("Provision", Agent),
	}
}

func fields(vs []Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Field
	}
	return out
}

func TestValidateWorkflow(t *testing.T) {
	cases := []struct {
		name   string
		change func(w *Workflow)
		want   []string // the fields named, in order; nil: valid
	}{
		{"valid", func(*Workflow) {}, nil},
		{"no review steps", func(w *Workflow) { w.ReviewSteps = nil }, nil},
		{"agent acts", func(w *Workflow) { w.ActionStep.Assignee.Kind = Agent }, nil},
		{"agent reviews", func(w *Workflow) { w.ReviewSteps[1].Assignee.Kind = Agent }, []string{"workflow.review_steps[1].assignee.kind"}},
		{"missing kind", func(w *Workflow) { w.ReviewSteps[0].Assignee.Kind = "" }, []string{"workflow.review_steps[0].assignee.kind"}},
		{"unknown kind", func(w *Workflow) { w.ActionStep.Assignee.Kind = "ROBOT" }, []string{"workflow.action_step.assignee.kind"}},
		{"missing action step", func(w *Workflow) { w.ActionStep = Step{} }, []string{"workflow.action_step.name", "workflow.action_step.assignee.kind"}},
		{"blank name", func(w *Workflow) { w.ReviewSteps[0].Name = "  " }, []string{"workflow.review_steps[0].name"}},
		{"long name", func(w *Workflow) { w.ReviewSteps[0].Name = strings.Repeat("é", 101) }, []string{"workflow.review_steps[0].name"}},
		{"name of 100 runes", func(w *Workflow) { w.ReviewSteps[0].Name = strings.Repeat("é", 100) }, nil},
		{"duplicate name", func(w *Workflow) { w.ReviewSteps[1].Name = "manager " }, []string{"workflow.review_steps[1].name"}},
		{"action reuses a review name", func(w *Workflow) { w.ActionStep.Name = "Owner" }, []string{"workflow.action_step.name"}},
		{"groups without ids", func(w *Workflow) { w.ReviewSteps[1].Assignee = Assignee{Kind: UserGroups} }, []string{"workflow.review_steps[1].assignee.group_ids"}},
		{"groups", func(w *Workflow) {
			w.ReviewSteps[1].Assignee = Assignee{Kind: UserGroups, GroupIDs: []string{"g1", "g2"}}
		}, nil},
		{"group twice", func(w *Workflow) {
			w.ReviewSteps[1].Assignee = Assignee{Kind: UserGroups, GroupIDs: []string{"g1", "g1"}}
		}, []string{"workflow.review_steps[1].assignee.group_ids[1]"}},
		{"empty group id", func(w *Workflow) { w.ReviewSteps[1].Assignee = Assignee{Kind: UserGroups, GroupIDs: []string{""}} }, []string{"workflow.review_steps[1].assignee.group_ids[0]"}},
		{"group ids with another kind", func(w *Workflow) { w.ReviewSteps[0].Assignee.GroupIDs = []string{"g1"} }, []string{"workflow.review_steps[0].assignee.group_ids"}},
		{"users without ids", func(w *Workflow) { w.ActionStep.Assignee = Assignee{Kind: Users} }, []string{"workflow.action_step.assignee.user_ids"}},
		{"users act", func(w *Workflow) { w.ActionStep.Assignee = Assignee{Kind: Users, UserIDs: []string{"u1"}} }, nil},
		{"user ids with another kind", func(w *Workflow) { w.ActionStep.Assignee.UserIDs = []string{"u1"} }, []string{"workflow.action_step.assignee.user_ids"}},
		{"too many users", func(w *Workflow) {
			w.ActionStep.Assignee = Assignee{Kind: Users}
			for i := range MaxUserIDs + 1 {
				w.ActionStep.Assignee.UserIDs = append(w.ActionStep.Assignee.UserIDs, "u"+strings.Repeat("x", i))
			}
		}, []string{"workflow.action_step.assignee.user_ids"}},
		{"custom role without name", func(w *Workflow) { w.ReviewSteps[0].Assignee = Assignee{Kind: CustomRole} }, []string{"workflow.review_steps[0].assignee.custom_role"}},
		{"custom role", func(w *Workflow) { w.ReviewSteps[0].Assignee = Assignee{Kind: CustomRole, CustomRole: "security"} }, nil},
		{"custom role with another kind", func(w *Workflow) { w.ReviewSteps[0].Assignee.CustomRole = "security" }, []string{"workflow.review_steps[0].assignee.custom_role"}},
		{"all", func(w *Workflow) { w.ReviewSteps[0].Approval = ApprovalAll }, nil},
		{"unset approval is any", func(w *Workflow) { w.ReviewSteps[0].Approval = ApprovalUnset }, nil},
		{"unknown approval", func(w *Workflow) { w.ReviewSteps[0].Approval = "MOST" }, []string{"workflow.review_steps[0].approval"}},
		{"quorum without min", func(w *Workflow) { w.ReviewSteps[0].Approval = ApprovalQuorum }, []string{"workflow.review_steps[0].min_approvals"}},
		{"quorum", func(w *Workflow) { w.ReviewSteps[0].Approval, w.ReviewSteps[0].MinApprovals = ApprovalQuorum, 2 }, nil},
		{"quorum of users within reach", func(w *Workflow) {
			w.ReviewSteps[0] = Step{Name: "Pair", Assignee: Assignee{Kind: Users, UserIDs: []string{"u1", "u2"}}, Approval: ApprovalQuorum, MinApprovals: 2}
		}, nil},
		{"quorum of users out of reach", func(w *Workflow) {
			w.ReviewSteps[0] = Step{Name: "Pair", Assignee: Assignee{Kind: Users, UserIDs: []string{"u1", "u2"}}, Approval: ApprovalQuorum, MinApprovals: 3}
		}, []string{"workflow.review_steps[0].min_approvals"}},
		{"quorum too large", func(w *Workflow) { w.ReviewSteps[0].Approval, w.ReviewSteps[0].MinApprovals = ApprovalQuorum, 101 }, []string{"workflow.review_steps[0].min_approvals"}},
		{"min approvals without quorum", func(w *Workflow) { w.ReviewSteps[0].MinApprovals = 1 }, []string{"workflow.review_steps[0].min_approvals"}},
		{"approval on the action step", func(w *Workflow) { w.ActionStep.Approval = ApprovalAny }, []string{"workflow.action_step.approval"}},
		{"quorum on the action step", func(w *Workflow) { w.ActionStep.Approval, w.ActionStep.MinApprovals = ApprovalQuorum, 1 }, []string{"workflow.action_step.approval", "workflow.action_step.min_approvals"}},
		{"too many review steps", func(w *Workflow) {
			w.ReviewSteps = nil
			for i := range MaxReviewSteps + 1 {
				w.ReviewSteps = append(w.ReviewSteps, rev(strings.Repeat("s", i+1), Admins))
			}
		}, []string{"workflow.review_steps"}},
		{"several faults at once", func(w *Workflow) {
			w.ReviewSteps[0].Assignee.Kind = Agent
			w.ReviewSteps[1].Assignee = Assignee{Kind: UserGroups}
		}, []string{"workflow.review_steps[0].assignee.kind", "workflow.review_steps[1].assignee.group_ids"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := valid()
			tc.change(&w)
			got := fields(ValidateWorkflow(w))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("violations %q, want %q (%v)", got, tc.want, ValidateWorkflow(w))
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	w := Workflow{ReviewSteps: []Step{{Name: " Review ", Assignee: Assignee{Kind: Admins}}}, ActionStep: act(" Do ", Agent)}
	n := Normalize(w)
	if n.ReviewSteps[0].Approval != ApprovalAny || n.ReviewSteps[0].Name != "Review" || n.ActionStep.Name != "Do" || n.ActionStep.Approval != ApprovalUnset {
		t.Fatalf("Normalize = %+v", n)
	}
	if w.ReviewSteps[0].Approval != ApprovalUnset {
		t.Fatal("Normalize changed its input")
	}
}

func TestValidateScope(t *testing.T) {
	cases := []struct {
		name  string
		rt    RequestType
		scope Scope
		want  []string
	}{
		{"global", GrantAccess, Scope{}, nil},
		{"app", GrantAccess, Scope{AppID: "a1"}, nil},
		{"permissions", GrantAccess, Scope{AppID: "a1", Permissions: []string{"admin", "editor"}}, nil},
		{"permissions without app", GrantAccess, Scope{Permissions: []string{"admin"}}, []string{"scope.app_id"}},
		{"permission twice", ChangePermission, Scope{AppID: "a1", Permissions: []string{"admin", "admin"}}, []string{"scope.permissions[1]"}},
		{"empty permission", RemoveAccess, Scope{AppID: "a1", Permissions: []string{" "}}, []string{"scope.permissions[0]"}},
		{"add app for an app", AddApp, Scope{AppID: "a1"}, []string{"scope.app_id"}},
		{"archive app for permissions", ArchiveApp, Scope{AppID: "a1", Permissions: []string{"admin"}}, []string{"scope.permissions"}},
		{"archive app for an app", ArchiveApp, Scope{AppID: "a1"}, nil},
		{"long app id", GrantAccess, Scope{AppID: strings.Repeat("a", 65)}, []string{"scope.app_id"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := fields(ValidateScope(tc.rt, tc.scope)); !slices.Equal(got, tc.want) {
				t.Fatalf("violations %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateFor(t *testing.T) {
	w := valid()
	w.ReviewSteps[0].Assignee.Kind = PrivilegedUsers
	if got := fields(ValidateFor(AddApp, w)); !slices.Equal(got, []string{"workflow.review_steps[0].assignee.kind"}) {
		t.Fatalf("ADD_APP with privileged users: %q", got)
	}
	if got := ValidateFor(GrantAccess, w); got != nil {
		t.Fatalf("GRANT_ACCESS with privileged users: %v", got)
	}
}

func TestScopeLevelAndOverlap(t *testing.T) {
	g, a, b := Scope{}, Scope{AppID: "a"}, Scope{AppID: "b"}
	p1 := Scope{AppID: "a", Permissions: []string{"read", "admin"}}
	p2 := Scope{AppID: "a", Permissions: []string{"admin"}}
	p3 := Scope{AppID: "a", Permissions: []string{"write"}}
	p4 := Scope{AppID: "b", Permissions: []string{"admin"}}
	for _, tc := range []struct {
		x, y Scope
		want bool
	}{
		{g, g, true}, {a, a, true}, {a, b, false}, {g, a, false}, {a, p2, false},
		{p1, p2, true}, {p1, p3, false}, {p2, p4, false},
	} {
		if got := tc.x.Overlaps(tc.y); got != tc.want || tc.y.Overlaps(tc.x) != tc.want {
			t.Errorf("%+v overlaps %+v = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
	if g.Level() != LevelGlobal || a.Level() != LevelApp || p1.Level() != LevelPermission {
		t.Fatal("Level")
	}
}

// The shipped defaults obey every rule an administrator's policy must.
func TestSystemDefaultsAreValid(t *testing.T) {
	defaults := SystemDefaults()
	if len(defaults) != len(RequestTypes) {
		t.Fatalf("%d defaults for %d request types", len(defaults), len(RequestTypes))
	}
	for i, d := range defaults {
		if d.RequestType != RequestTypes[i] || d.ID != SystemDefaultID(d.RequestType) {
			t.Errorf("default %d: %s %s", i, d.RequestType, d.ID)
		}
		if vs := append(ValidateWorkflow(d.Workflow), ValidateFor(d.RequestType, d.Workflow)...); len(vs) > 0 {
			t.Errorf("%s: %v", d.ID, vs)
		}
		if !slices.Equal(fields(ValidateWorkflow(Normalize(d.Workflow))), nil) {
			t.Errorf("%s: invalid once normalized", d.ID)
		}
	}
	if SystemDefaultID(GrantAccess) != "system-default-grant-access" {
		t.Fatal(SystemDefaultID(GrantAccess))
	}
}
