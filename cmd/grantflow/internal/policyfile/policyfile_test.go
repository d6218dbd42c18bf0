package policyfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

var dir = Directory{
	Apps: []*identityv1.App{
		{Id: "app-figma", Name: "Figma", Status: identityv1.App_ACTIVE,
			Permissions: []*identityv1.Permission{{Name: "viewer"}, {Name: "editor"}, {Name: "admin", Privileged: true}},
			CustomRoles: []*identityv1.CustomRole{{Name: "security"}}},
		{Id: "app-old", Name: "Old", Status: identityv1.App_ARCHIVED},
	},
	Groups: []*identityv1.Group{{Id: "g-sec", Name: "Security reviewers"}},
	Users: []*identityv1.User{
		{Id: "u-ada", Email: "ada@example.com", Status: identityv1.User_ACTIVE},
		{Id: "u-sam", Email: "sam@example.com", Status: identityv1.User_ACTIVE},
		{Id: "u-gone", Email: "gone@example.com", Status: identityv1.User_OFFBOARDED},
	},
}

const good = `version: 1
policies:
  - name: Figma admin
    requestType: GRANT_ACCESS
    scope:
      app: Figma
      permissions: [admin]
    workflow:
      reviewSteps:
        - name: Manager
          assignee: {kind: MANAGER}
        - name: Security
          assignee:
            kind: USER_GROUPS
            groups: [Security reviewers]
          approval: ALL
        - name: Leads
          assignee: {kind: USERS, users: [ada@example.com, SAM@example.com]}
          approval: QUORUM
          minApprovals: 2
      actionStep:
        name: Provision
        assignee: {kind: APP_OWNER}
`

func mustResolve(t *testing.T, src string) (*Document, []Desired) {
	t.Helper()
	d, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := d.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d, ds
}

func TestResolveTurnsNamesIntoIDs(t *testing.T) {
	_, ds := mustResolve(t, good)
	c := ds[0].Create
	if c.GetScope().GetAppId() != "app-figma" || c.GetRequestType() != typev1.RequestType_GRANT_ACCESS || ds[0].Line != 3 {
		t.Errorf("resolved %v at line %d", c, ds[0].Line)
	}
	steps := c.GetWorkflow().GetReviewSteps()
	if steps[0].GetApproval() != typev1.Approval_ANY {
		t.Errorf("a review step without approval is ANY, as the server stores it: %v", steps[0])
	}
	if g := steps[1].GetAssignee().GetGroupIds(); len(g) != 1 || g[0] != "g-sec" {
		t.Errorf("groups: %v", g)
	}
	if u := steps[2].GetAssignee().GetUserIds(); len(u) != 2 || u[0] != "u-ada" || u[1] != "u-sam" {
		t.Errorf("users by email (case does not matter): %v", u)
	}
}

// TestErrorsNameFileLineAndField: every problem of a file, each at its line.
func TestErrorsNameFileLineAndField(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      []string // "line: field: message prefix"
	}{
		{"unknown field", "version: 1\npolicies:\n  - name: a\n    colour: red\n", []string{`p.yaml:4: unknown field "colour"`}},
		{"wrong type", "version: 1\npolicies:\n  - name: a\n    workflow: [1]\n", []string{`p.yaml:4: `}},
		{"version", "version: 2\npolicies: []\n", []string{`p.yaml:1: version: want 1`}},
		{"references", strings.NewReplacer("app: Figma", "app: Old", "[Security reviewers]", "[Nobody]", "SAM@example.com", "gone@example.com").Replace(good), []string{
			`p.yaml:6: policies[0].scope.app: app "Old" is archived`,
			`p.yaml:15: policies[0].workflow.reviewSteps[1].assignee.groups[0]: no group named "Nobody"`,
			`p.yaml:18: policies[0].workflow.reviewSteps[2].assignee.users[1]: user "gone@example.com" is offboarded`,
		}},
		{"permission and quorum", strings.NewReplacer("[admin]", "[owner]", "minApprovals: 2", "minApprovals: 3").Replace(good), []string{
			`p.yaml:7: policies[0].scope.permissions[0]: app "Figma" has no permission "owner"`,
			`p.yaml:20: policies[0].workflow.reviewSteps[2].minApprovals: 3 approvals can never be reached by the 2 users listed`,
		}},
		{"kinds and parameters", strings.NewReplacer("kind: MANAGER}", "kind: MANAGER, customRole: security}", "name: Provision", "name: manager").Replace(good), []string{
			`p.yaml:11: policies[0].workflow.reviewSteps[0].assignee.customRole: only with CUSTOM_ROLE`,
			`p.yaml:22: policies[0].workflow.actionStep.name: step name "manager" is already used by policies[0].workflow.reviewSteps[0]`,
		}},
		{"no action step", "version: 1\npolicies:\n  - name: a\n    requestType: ADD_APP\n    workflow:\n      reviewSteps: []\n", []string{
			`p.yaml:5: policies[0].workflow.actionStep: required`,
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse("p.yaml", []byte(c.src))
			if err == nil {
				_, err = d.Resolve(dir)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %v, want Errors", err)
			}
			if len(es) != len(c.want) {
				t.Fatalf("%d errors, want %d:\n%v", len(es), len(c.want), err)
			}
			for i, w := range c.want {
				if !strings.HasPrefix(es[i].Error(), w) {
					t.Errorf("error %d: %q, want it to start with %q", i, es[i].Error(), w)
				}
			}
		})
	}
}

func current(name string, rt typev1.RequestType, scope *policyv1.Scope, level policyv1.Level, active *typev1.Workflow, draft *typev1.Workflow) Current {
	p := &policyv1.Policy{Id: "id-" + name, Name: name, RequestType: rt, Scope: scope, Level: level, ActiveVersion: 1, LatestVersion: 1}
	c := Current{Policy: p, Active: &policyv1.PolicyVersion{PolicyId: p.Id, Version: 1, State: policyv1.PolicyVersion_ACTIVE, Workflow: active}}
	c.Latest = c.Active
	if draft != nil {
		p.LatestVersion = 2
		c.Latest = &policyv1.PolicyVersion{PolicyId: p.Id, Version: 2, State: policyv1.PolicyVersion_DRAFT, Workflow: draft}
	}
	return c
}

func TestPlanAndExportRoundTrip(t *testing.T) {
	d, ds := mustResolve(t, good)
	wf := ds[0].Create.GetWorkflow()
	other := &typev1.Workflow{ActionStep: &typev1.Step{Name: "Provision", Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_APP_OWNER}}}
	scope := &policyv1.Scope{AppId: "app-figma", Permissions: []string{"admin"}}
	for _, c := range []struct {
		name string
		cur  []Current
		want ActionKind
	}{
		{"missing", nil, Create},
		{"equal", []Current{current("Figma admin", typev1.RequestType_GRANT_ACCESS, scope, policyv1.Level_PERMISSION, wf, nil)}, Unchanged},
		{"differs", []Current{current("Figma admin", typev1.RequestType_GRANT_ACCESS, scope, policyv1.Level_PERMISSION, other, nil)}, NewVersion},
		{"a matching draft", []Current{current("Figma admin", typev1.RequestType_GRANT_ACCESS, scope, policyv1.Level_PERMISSION, other, wf)}, ActivateDraft},
	} {
		plan, err := d.MakePlan(ds, c.cur)
		if err != nil || len(plan.Actions) != 1 || plan.Actions[0].Kind != c.want {
			t.Errorf("%s: plan %+v, %v; want %v", c.name, plan.Actions, err, c.want)
		}
	}
	// Scope changes and overlaps are refused, at the file's line.
	for _, c := range []struct {
		name string
		cur  Current
		want string
	}{
		{"scope changed", current("Figma admin", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: "app-figma"}, policyv1.Level_APP, wf, nil), `p.yaml:5: policies[0].scope: differs`},
		{"type changed", current("Figma admin", typev1.RequestType_CHANGE_PERMISSION, scope, policyv1.Level_PERMISSION, wf, nil), `p.yaml:4: policies[0].requestType: the server's policy "Figma admin" is CHANGE_PERMISSION`},
		{"overlap", current("Figma admins", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: "app-figma", Permissions: []string{"editor", "admin"}}, policyv1.Level_PERMISSION, wf, nil), `p.yaml:7: policies[0].scope.permissions: policy id-Figma admins ("Figma admins") already governs`},
	} {
		_, err := d.MakePlan(ds, []Current{c.cur})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}

	// export, then parse and plan the export: nothing to do.
	cur := []Current{current("Figma admin", typev1.RequestType_GRANT_ACCESS, scope, policyv1.Level_PERMISSION, wf, nil),
		current("System default: remove access", typev1.RequestType_REMOVE_ACCESS, &policyv1.Scope{}, policyv1.Level_SYSTEM_DEFAULT, other, nil)}
	raw, err := Export(cur, dir)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := Parse("export.yaml", raw)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	ds2, err := d2.Resolve(dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	plan, err := d2.MakePlan(ds2, cur)
	if err != nil || plan.Changes() != 0 || len(plan.Actions) != 2 {
		t.Fatalf("export | plan: %+v, %v\n%s", plan, err, raw)
	}
	var out bytes.Buffer
	plan.Write(&out, dir)
	if !strings.Contains(out.String(), "No changes: the server matches the file (2 policies).") {
		t.Errorf("plan of an export:\n%s", out.String())
	}
}

// FuzzParse: any input parses or is refused with the file's name, never a panic.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte("version: 1\npolicies:\n  - name: [a\n"))
	f.Add([]byte("version: 1\npolicies: {a: b}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := Parse("f.yaml", src)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error without the file's name: %v", err)
			}
			return
		}
		if _, err := d.Resolve(dir); err != nil && !strings.HasPrefix(err.Error(), "f.yaml") {
			t.Fatalf("error without the file's name: %v", err)
		}
	})
}
