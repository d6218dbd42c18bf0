package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/process"
)

// demoOrg is the organization seeded for a newcomer to try things at once.
type demoOrg struct {
	bootstrapKey string
	people       []demoPerson
	apps         []demoApp
	groups       []string
	policies     []demoPolicy
	requests     []demoRequest
	review       demoReview
	storage      string // where it lives, printed first
}

// demoRequest is a request of the demo, left in the state its note says.
type demoRequest struct {
	who, what, state, id string
}

// demoReview is the demo's launched access review campaign.
type demoReview struct {
	name, state, id string
}

type demoPerson struct {
	handle, name, role, manager, note string
	id, key                           string
}

type demoApp struct {
	name, owner string
	perms       []*identityv1.Permission
	id          string
}

// demoPolicy is an administrator's policy of the demo, created and activated.
type demoPolicy struct {
	handle, name string // handle names its export line: GF_POLICY_<HANDLE>
	requestType  typev1.RequestType
	app          string   // the app's name; "" for a global policy
	permissions  []string // for a permission-specific policy
	workflow     *typev1.Workflow
	id           string
}

// demoConns are the connections the seeding calls through: one shared server in the
// all-in-one process, one per service in the distributed mode (grantflow seed-demo).
type demoConns struct {
	identity, policy, request, task, review grpc.ClientConnInterface
}

// seedDemo creates the demo organization through the public gRPC API, as the bootstrap
// admin, exactly as a client would.
func seedDemo(ctx context.Context, grpcAddr string, p *process.Process, bootstrapKey string) (*demoOrg, error) {
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	d, err := seedDemoOn(ctx, demoConns{identity: conn, policy: conn, request: conn, task: conn, review: conn}, bootstrapKey)
	if err == nil {
		p.Log.Info("demo organization seeded", "people", len(d.people), "apps", len(d.apps), "policies", len(d.policies), "requests", len(d.requests))
	}
	return d, err
}

// seedDemoOn seeds the demo organization through conns.
func seedDemoOn(ctx context.Context, conns demoConns, bootstrapKey string) (*demoOrg, error) {
	as := func(key string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
	}
	id := identityv1.NewIdentityServiceClient(conns.identity)
	d := &demoOrg{bootstrapKey: bootstrapKey, people: []demoPerson{
		{handle: "grace", name: "Grace Hopper", role: "GENERAL_MANAGER", note: "General Manager: her manager steps are auto-approved"},
		{handle: "ada", name: "Ada Lovelace", role: "ADMIN", manager: "grace", note: "Admin"},
		{handle: "mona", name: "Mona Ramirez", role: "USER", manager: "grace", note: "manager of Engineering"},
		{handle: "sam", name: "Sam Okafor", role: "USER", manager: "grace", note: "manager of Sales, owner of Salesforce"},
		{handle: "otto", name: "Otto Berg", role: "USER", manager: "mona", note: "engineer, owner of Figma and GitHub"},
		{handle: "uma", name: "Uma Chen", role: "USER", manager: "mona", note: "engineer"},
		{handle: "ulf", name: "Ulf Larsen", role: "USER", manager: "mona", note: "engineer"},
		{handle: "sara", name: "Sara Novak", role: "USER", manager: "sam", note: "account executive"},
	}}
	byHandle := map[string]*demoPerson{}
	for i := range d.people {
		per := &d.people[i]
		byHandle[per.handle] = per
		req := &identityv1.CreateUserRequest{
			Email: per.handle + "@demo.grantflow.dev", DisplayName: per.name,
			Role: identityv1.Role(identityv1.Role_value[per.role]),
		}
		if per.manager != "" {
			req.ManagerId = byHandle[per.manager].id
		}
		u, err := id.CreateUser(as(bootstrapKey), req)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", per.handle, err)
		}
		per.id = u.GetId()
		k, err := id.CreateApiKey(as(bootstrapKey), &identityv1.CreateApiKeyRequest{UserId: u.GetId(), DisplayName: "demo"})
		if err != nil {
			return nil, fmt.Errorf("key for %s: %w", per.handle, err)
		}
		per.key = k.GetSecret()
	}
	admin := byHandle["ada"].key
	d.apps = []demoApp{
		{name: "Figma", owner: "otto", perms: []*identityv1.Permission{{Name: "viewer"}, {Name: "editor"}, {Name: "admin", Privileged: true}}},
		{name: "GitHub", owner: "otto", perms: []*identityv1.Permission{{Name: "read"}, {Name: "write"}, {Name: "admin", Privileged: true}}},
		{name: "Salesforce", owner: "sam", perms: []*identityv1.Permission{{Name: "user"}, {Name: "admin", Privileged: true}}},
	}
	for i := range d.apps {
		a := &d.apps[i]
		res, err := id.CreateApp(as(admin), &identityv1.CreateAppRequest{
			Name: a.name, OwnerIds: []string{byHandle[a.owner].id}, Permissions: a.perms,
			CustomRoles: []*identityv1.CustomRole{{Name: "security", UserIds: []string{byHandle["ada"].id}}},
		})
		if err != nil {
			return nil, fmt.Errorf("app %s: %w", a.name, err)
		}
		a.id = res.GetId()
	}
	g, err := id.CreateGroup(as(admin), &identityv1.CreateGroupRequest{Name: "Security reviewers", MemberIds: []string{byHandle["ada"].id, byHandle["otto"].id}})
	if err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	d.groups = append(d.groups, g.GetName()+" ("+g.GetId()+")")
	if err := d.seedPolicies(as(bootstrapKey), policyv1.NewPolicyServiceClient(conns.policy), g.GetId(), byHandle); err != nil {
		return nil, err
	}
	if err := d.seedRequests(ctx, conns, byHandle, as); err != nil {
		return nil, err
	}
	if err := d.seedReview(conns, byHandle, as); err != nil {
		return nil, err
	}
	return d, nil
}

// seedReview launches the demo's access review: every app, each access reviewed by the
// user's manager (Ulf's Figma viewer by Mona, Sam's GitHub read by Grace); Grace keeps
// Sam's, Mona's item waits for her (her ACCESS_REVIEW task is in her inbox).
func (d *demoOrg) seedReview(conns demoConns, byHandle map[string]*demoPerson, as func(string) context.Context) error {
	// The snapshot is of the accesses at launch: wait until the done requests are DONE
	// (their effect applied, no longer open).
	reqs := requestv1.NewRequestServiceClient(conns.request)
	for _, r := range d.requests {
		if !strings.HasPrefix(r.state, "DONE") {
			continue
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			got, err := reqs.GetRequest(as(byHandle["ada"].key), &requestv1.GetRequestRequest{Id: r.id})
			if err != nil {
				return fmt.Errorf("demo request %s: %w", r.id, err)
			}
			if got.GetStatus() == requestv1.Request_DONE {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("demo request %s of %s is %s, not DONE", r.id, r.who, got.GetStatus())
			}
		}
	}
	rc := reviewv1.NewReviewServiceClient(conns.review)
	c, err := rc.CreateAccessReview(as(byHandle["ada"].key), &reviewv1.CreateAccessReviewRequest{
		Name: "Quarterly access review", Description: "Every access, reviewed by the user's manager",
		Reviewer: &reviewv1.Reviewer{Kind: reviewv1.Reviewer_MANAGER},
	})
	if err != nil {
		return fmt.Errorf("demo access review: %w", err)
	}
	if _, err := rc.LaunchAccessReview(as(byHandle["ada"].key), &reviewv1.LaunchAccessReviewRequest{Id: c.GetId()}); err != nil {
		return fmt.Errorf("demo access review: launch: %w", err)
	}
	grace := as(byHandle["grace"].key)
	items, err := rc.ListAccessReviewItems(grace, &reviewv1.ListAccessReviewItemsRequest{AccessReviewId: c.GetId(), ReviewerId: byHandle["grace"].id})
	if err != nil {
		return fmt.Errorf("demo access review: Grace's items: %w", err)
	}
	for _, it := range items.GetItems() {
		if _, err := rc.DecideAccessReviewItem(grace, &reviewv1.DecideAccessReviewItemRequest{
			AccessReviewId: c.GetId(), ItemId: it.GetId(), Decision: reviewv1.AccessReviewItem_KEEP, Justification: "runs the release builds",
		}); err != nil {
			return fmt.Errorf("demo access review: Grace keeps %s: %w", it.GetId(), err)
		}
	}
	d.review = demoReview{name: c.GetName(), state: "ACTIVE: Grace kept Sam's GitHub read; Mona has Ulf's Figma viewer to review; Sara's GitHub read waits, blocked by her open change to admin", id: c.GetId()}
	return nil
}

// seedPolicies creates and activates the demo's policies; every other request follows the
// system defaults the policy service ships.
func (d *demoOrg) seedPolicies(ctx context.Context, pc policyv1.PolicyServiceClient, securityGroup string, byHandle map[string]*demoPerson) error {
	step := func(name string, kind typev1.AssigneeKind, approval typev1.Approval) *typev1.Step {
		return &typev1.Step{Name: name, Assignee: &typev1.Assignee{Kind: kind}, Approval: approval}
	}
	manager := step("Manager approval", typev1.AssigneeKind_MANAGER, typev1.Approval_ANY)
	security := step("Security review", typev1.AssigneeKind_USER_GROUPS, typev1.Approval_ALL)
	security.Assignee.GroupIds = []string{securityGroup}
	leadership := step("Sales leadership", typev1.AssigneeKind_USERS, typev1.Approval_QUORUM)
	leadership.Assignee.UserIds = []string{byHandle["sam"].id, byHandle["grace"].id, byHandle["ada"].id}
	leadership.MinApprovals = 2
	provision := &typev1.Step{Name: "Provision", Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_APP_OWNER}}
	d.policies = []demoPolicy{
		{handle: "github_admin", name: "GitHub admin", requestType: typev1.RequestType_GRANT_ACCESS, app: "GitHub", permissions: []string{"admin"},
			workflow: &typev1.Workflow{ReviewSteps: []*typev1.Step{manager, security}, ActionStep: provision}},
		{handle: "salesforce", name: "Salesforce access", requestType: typev1.RequestType_GRANT_ACCESS, app: "Salesforce",
			workflow: &typev1.Workflow{ReviewSteps: []*typev1.Step{manager, leadership}, ActionStep: provision}},
	}
	appID := map[string]string{}
	for _, a := range d.apps {
		appID[a.name] = a.id
	}
	for i := range d.policies {
		dp := &d.policies[i]
		pol, err := pc.CreatePolicy(ctx, &policyv1.CreatePolicyRequest{
			Name: dp.name, RequestType: dp.requestType, Workflow: dp.workflow,
			Scope: &policyv1.Scope{AppId: appID[dp.app], Permissions: dp.permissions},
		})
		if err != nil {
			return fmt.Errorf("policy %s: %w", dp.name, err)
		}
		if _, err := pc.ActivatePolicyVersion(ctx, &policyv1.ActivatePolicyVersionRequest{PolicyId: pol.GetId(), Version: pol.GetLatestVersion()}); err != nil {
			return fmt.Errorf("activate policy %s: %w", dp.name, err)
		}
		dp.id = pol.GetId()
	}
	return nil
}

// seedRequests leaves requests in several states, driven through the public API by the
// people who would do each step (Uma is left free for the README walkthrough).
func (d *demoOrg) seedRequests(ctx context.Context, conns demoConns, byHandle map[string]*demoPerson, as func(string) context.Context) error {
	rc, tc := requestv1.NewRequestServiceClient(conns.request), taskv1.NewTaskServiceClient(conns.task)
	appID := map[string]string{}
	for _, a := range d.apps {
		appID[a.name] = a.id
	}
	key := func(h string) context.Context { return as(byHandle[h].key) }
	// pending waits for the pending task of request id that person may act on.
	pending := func(id, person string) (string, error) {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			res, err := tc.ListTasks(key(person), &taskv1.ListTasksRequest{RequestId: id, Status: taskv1.Task_PENDING})
			if err != nil {
				return "", err
			}
			if len(res.GetTasks()) > 0 {
				return res.GetTasks()[0].GetId(), nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		return "", fmt.Errorf("demo request %s: no task for %s", id, person)
	}
	// done waits for request id to be DONE.
	done := func(id string) error {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			r, err := rc.GetRequest(key("ada"), &requestv1.GetRequestRequest{Id: id})
			if err != nil {
				return err
			}
			if r.GetStatus() == requestv1.Request_DONE {
				return nil
			}
			time.Sleep(5 * time.Millisecond)
		}
		return fmt.Errorf("demo request %s: not DONE", id)
	}
	type move struct{ who, verb string }
	grant, change := typev1.RequestType_GRANT_ACCESS, typev1.RequestType_CHANGE_PERMISSION
	for _, r := range []struct {
		typ                   typev1.RequestType
		who, app, perm, state string
		moves                 []move
	}{
		{grant, "ulf", "Figma", "viewer", "DONE: Mona and Otto approved, Otto provisioned", []move{{"mona", "approve"}, {"otto", "approve"}, {"otto", "complete"}}},
		{grant, "ulf", "GitHub", "read", "waiting for the owner, Otto (Mona approved)", []move{{"mona", "approve"}}},
		{grant, "sara", "Salesforce", "user", "waiting for her manager, Sam", nil},
		{grant, "ulf", "Salesforce", "user", "DECLINED by Mona", []move{{"mona", "decline"}}},
		{grant, "sam", "GitHub", "read", "DONE: Grace and Otto approved, Otto provisioned", []move{{"grace", "approve"}, {"otto", "approve"}, {"otto", "complete"}}},
		{grant, "sara", "GitHub", "read", "DONE: Sam and Otto approved, Otto provisioned", []move{{"sam", "approve"}, {"otto", "approve"}, {"otto", "complete"}}},
		// Changing into admin is governed like being granted it: the GitHub admin policy
		// (manager, then all of the Security reviewers), not the CHANGE_PERMISSION default.
		{change, "sara", "GitHub", "admin", "read -> admin, governed by the GitHub admin policy: waiting for Sam", nil},
	} {
		req, err := rc.SubmitRequest(key(r.who), &requestv1.SubmitRequestRequest{
			Type: r.typ, AppId: appID[r.app], Permission: r.perm, Reason: "demo",
		})
		if err != nil {
			return fmt.Errorf("demo request of %s for %s: %w", r.who, r.app, err)
		}
		for _, m := range r.moves {
			task, err := pending(req.GetId(), m.who)
			if err != nil {
				return err
			}
			switch m.verb {
			case "approve":
				_, err = tc.ApproveTask(key(m.who), &taskv1.ApproveTaskRequest{Id: task, Justification: "demo"})
			case "decline":
				_, err = tc.DeclineTask(key(m.who), &taskv1.DeclineTaskRequest{Id: task, Justification: "not for this project"})
			case "complete":
				_, err = tc.CompleteTask(key(m.who), &taskv1.CompleteTaskRequest{Id: task, Note: "granted in " + r.app})
			}
			if err != nil {
				return fmt.Errorf("demo request %s: %s %s: %w", req.GetId(), m.who, m.verb, err)
			}
		}
		if strings.HasPrefix(r.state, "DONE") {
			// What follows may build on this request's effect (Sara's change of her GitHub
			// access needs the access): wait for it.
			if err := done(req.GetId()); err != nil {
				return err
			}
		}
		what := r.app + " " + r.perm
		if r.typ != grant {
			what = r.typ.String() + " " + what
		}
		d.requests = append(d.requests, demoRequest{who: r.who, what: what, state: r.state, id: req.GetId()})
	}
	return nil
}

func (d *demoOrg) print(w io.Writer, httpAddr, grpcAddr string) {
	fmt.Fprintf(w, "\nGrantflow is up: REST http://%s  gRPC %s\n", httpAddr, grpcAddr)
	fmt.Fprintf(w, "Console: http://%s/console/ (sign in as one of the demo people below with one click)\n", httpAddr)
	if d.storage == "" {
		d.storage = "Memory engine (not for production): this demo organization lives only as long as this process."
	}
	fmt.Fprintf(w, "%s\n\n", d.storage)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PERSON\tROLE\tWHO\tUSER ID")
	for _, p := range d.people {
		fmt.Fprintf(tw, "%s (%s)\t%s\t%s\t%s\n", p.name, p.handle, p.role, p.note, p.id)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "APP\tOWNER\tPERMISSIONS (* privileged)\tAPP ID")
	for _, a := range d.apps {
		var ps []string
		for _, p := range a.perms {
			name := p.GetName()
			if p.GetPrivileged() {
				name += "*"
			}
			ps = append(ps, name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", a.name, a.owner, strings.Join(ps, ", "), a.id)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nGroups: %s\n\n", strings.Join(d.groups, ", "))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POLICY\tGOVERNS\tREVIEW STEPS, IN ORDER\tACTION\tPOLICY ID")
	for _, p := range d.policies {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", p.name, p.governs(), reviewSteps(p.workflow), p.workflow.GetActionStep().GetName(), p.id)
	}
	tw.Flush()
	fmt.Fprintf(w, "Every other request follows the system default policy of its type (GET /v1/policies).\n\n")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST OF\tFOR\tSTATE\tREQUEST ID")
	for _, r := range d.requests {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.who, r.what, r.state, r.id)
	}
	tw.Flush()
	if d.review.id != "" {
		fmt.Fprintf(w, "\nAccess review %q (%s): %s\n", d.review.name, d.review.id, d.review.state)
	}
	fmt.Fprintf(w, "\nPaste these lines into your shell for the README walkthrough (the API keys are shown once):\n\n")
	fmt.Fprintf(w, "export GF=http://%s\n", httpAddr)
	fmt.Fprintf(w, "export GF_BOOTSTRAP=%s\n", d.bootstrapKey)
	for _, p := range d.people {
		fmt.Fprintf(w, "export GF_%s=%s\n", strings.ToUpper(p.handle), p.key)
	}
	for _, a := range d.apps {
		fmt.Fprintf(w, "export GF_APP_%s=%s\n", strings.ToUpper(a.name), a.id)
	}
	for _, p := range d.policies {
		fmt.Fprintf(w, "export GF_POLICY_%s=%s\n", strings.ToUpper(p.handle), p.id)
	}
	if d.review.id != "" {
		fmt.Fprintf(w, "export GF_REVIEW=%s\n", d.review.id)
	}
	fmt.Fprintln(w)
}

// governs says what a policy applies to: "GRANT_ACCESS on GitHub (admin)".
func (p demoPolicy) governs() string {
	s := p.requestType.String()
	if p.app != "" {
		s += " on " + p.app
	}
	if len(p.permissions) > 0 {
		s += " (" + strings.Join(p.permissions, ", ") + ")"
	}
	return s
}

// reviewSteps renders a workflow's review steps: "Manager approval (any) > Security review (all)".
func reviewSteps(w *typev1.Workflow) string {
	if len(w.GetReviewSteps()) == 0 {
		return "none"
	}
	steps := make([]string, 0, len(w.GetReviewSteps()))
	for _, s := range w.GetReviewSteps() {
		how := strings.ToLower(s.GetApproval().String())
		if s.GetApproval() == typev1.Approval_QUORUM {
			how = fmt.Sprintf("quorum of %d", s.GetMinApprovals())
			if n := len(s.GetAssignee().GetUserIds()); n > 0 {
				how = fmt.Sprintf("%d of %d", s.GetMinApprovals(), n)
			}
		}
		steps = append(steps, fmt.Sprintf("%s (%s)", s.GetName(), how))
	}
	return strings.Join(steps, " > ")
}
