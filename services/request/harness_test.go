package request_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/identity"
	"github.com/grantflow/grantflow/services/policy"
	"github.com/grantflow/grantflow/services/request"
	"github.com/grantflow/grantflow/services/task"
)

const bootstrapKey = "bootstrap-key-for-request-tests-0123456789"

// harness runs the real identity, policy, task and request services, each behind the kit's
// real server chain on an in-memory listener, calling each other through generated clients
// with signed internal tokens, their outboxes relayed as in production: task outcomes and
// identity's triggers to the request service, every event to a recording audit sink.
type harness struct {
	t      testing.TB
	req    requestv1.RequestServiceClient
	tasks  taskv1.TaskServiceClient
	id     identityv1.IdentityServiceClient
	pol    policyv1.PolicyServiceClient
	audit  *recorder
	keys   map[string]string // person -> API key
	ids    map[string]string // person -> user id
	apps   map[string]string // app name -> id
	signer *auth.Signer
	folks  *servicetest.People
	// clock is the task and request services' time: tests move it to make timers due.
	clock   *timer.ManualClock
	taskSvc *task.Service
	reqSvc  *request.Service
}

// bufListener is an in-memory listener and a client connection to it (carrying signed
// internal tokens), made before the server that will serve it exists (the services' sinks
// point at each other).
type bufListener struct {
	*servicetest.Listener
	conn *grpc.ClientConn
}

func listen(t testing.TB, signer *auth.Signer) *bufListener {
	l := servicetest.NewListener()
	return &bufListener{Listener: l, conn: servicetest.Dial(t, l.Dialer(), servicetest.AsService(signer)...)}
}

// userConn is a connection to b for people's credentials.
func (b *bufListener) userConn(t testing.TB) *grpc.ClientConn { return servicetest.Dial(t, b.Dialer()) }

type harnessOptions struct {
	postgres bool
	getenv   func(string) string
}

// newHarness starts the four services and seeds the organization (seedOrg).
func newHarness(t testing.TB, o harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	signer := servicetest.Signer(t)
	h := &harness{t: t, audit: &recorder{}, signer: signer, clock: timer.NewManualClock(time.Now()), apps: map[string]string{}}
	// On PostgreSQL the four services share one fresh database, each in its own schema,
	// migrated as each service opens its store.
	settings := kit.Settings{Logger: slog.New(slog.DiscardHandler)}
	if o.postgres {
		settings.PostgresURL = pgtest.NewEmptyDatabase(t)
	}
	// Task and request run on the test's clock, and fire timers only when a test does (h.fire).
	timed := settings
	timed.Clock, timed.TimerPoll = h.clock, 24*time.Hour

	idL, polL, taskL, reqL := listen(t, signer), listen(t, signer), listen(t, signer), listen(t, signer)
	var wg sync.WaitGroup
	runCtx, stop := context.WithCancel(ctx)
	var closers []func()
	// Last cleanup to run: stop the relays, then close the stores (a pool closes only once
	// every connection is back). The servers (registered later) stop before it.
	t.Cleanup(func() {
		stop()
		wg.Wait()
		for _, c := range closers {
			c()
		}
	})
	// serve serves svc on l behind the kit's real server chain.
	serve := func(l *bufListener, svc interface{ Register(grpc.ServiceRegistrar) }, authn auth.Authenticator, internal func(string) bool) {
		srv := servicetest.Server(t, signer, authn, internal)
		svc.Register(srv)
		l.Serve(t, srv)
	}

	idSvc, err := identity.New(ctx, identity.Options{Settings: settings, BootstrapAdminKey: bootstrapKey, SecretsKey: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", WebhookAllowPrivate: true,
		AuditSink: h.audit, RequestSink: kit.Sink(reqL.conn, "request")})
	if err != nil {
		t.Fatal(err)
	}
	serve(idL, idSvc, idSvc.Authenticator(), kit.InternalMethod)
	idInternal := identityv1.NewIdentityInternalServiceClient(idL.conn)
	authn := auth.Identity(idInternal)

	polSvc, err := policy.New(ctx, policy.Options{Settings: settings, Identity: idInternal, AuditSink: h.audit})
	if err != nil {
		t.Fatal(err)
	}
	serve(polL, polSvc, authn, nil)

	taskSvc, err := task.New(ctx, task.Options{Settings: timed, Identity: idInternal,
		AuditSink: h.audit, RequestSink: kit.Sink(reqL.conn, "request")})
	if err != nil {
		t.Fatal(err)
	}
	h.taskSvc = taskSvc
	serve(taskL, taskSvc, authn, kit.InternalMethod)

	reqSvc, err := request.New(ctx, request.Options{Settings: timed, Identity: idInternal,
		Policy: policyv1.NewPolicyServiceClient(polL.conn), Tasks: taskv1.NewTaskInternalServiceClient(taskL.conn),
		TaskPublic: taskv1.NewTaskServiceClient(taskL.conn), AuditSink: h.audit, Getenv: o.getenv, WebhookAllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	h.reqSvc = reqSvc
	serve(reqL, reqSvc, authn, kit.InternalMethod)

	for _, run := range []func(context.Context){idSvc.Run, polSvc.Run, taskSvc.Run, reqSvc.Run} {
		wg.Go(func() { run(runCtx) })
	}
	closers = append(closers, idSvc.Close, polSvc.Close, taskSvc.Close, reqSvc.Close)

	h.req = requestv1.NewRequestServiceClient(reqL.userConn(t))
	h.tasks = taskv1.NewTaskServiceClient(taskL.userConn(t))
	h.id = identityv1.NewIdentityServiceClient(idL.userConn(t))
	h.folks = servicetest.NewPeople(t, h.id, bootstrapKey)
	h.keys, h.ids = h.folks.Keys, h.folks.IDs
	h.pol = policyv1.NewPolicyServiceClient(polL.userConn(t))
	h.seedOrg()
	return h
}

// forEachEngine runs test on the memory engines and on PostgreSQL (a database of its own;
// skipped loudly, or failed under CI=true, without PostgreSQL).
func forEachEngine(t *testing.T, test func(t *testing.T, h *harness)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		test(t, newHarness(t, harnessOptions{}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, newHarness(t, harnessOptions{postgres: true}))
	})
}

// as is a context calling with person's API key.
func (h *harness) as(person string) context.Context { return h.folks.As(person) }

func (h *harness) onboard(person, role, manager string) { h.folks.Onboard(person, role, manager) }

// seedOrg builds, through identity's public API:
//
//	gm (GENERAL_MANAGER)
//	├── admin, ada (ADMIN)
//	├── mona (manager) ── uma, ulf
//	└── otto, vera, walt, xena
//
// apps: Figma (owner otto; viewer, editor, admin*), GitHub (owners vera, walt, xena;
// read, write, admin*), Vault (no owner; read).
func (h *harness) seedOrg() {
	h.t.Helper()
	h.onboard("gm", "GENERAL_MANAGER", "")
	h.onboard("admin", "ADMIN", "gm")
	h.onboard("ada", "ADMIN", "gm")
	h.onboard("mona", "USER", "gm")
	h.onboard("uma", "USER", "mona")
	h.onboard("ulf", "USER", "mona")
	for _, p := range []string{"otto", "vera", "walt", "xena"} {
		h.onboard(p, "USER", "gm")
	}
	h.app("Figma", []string{"otto"}, "viewer", "editor", "admin*")
	h.app("GitHub", []string{"vera", "walt", "xena"}, "read", "write", "admin*")
	h.app("Vault", nil, "read")
}

func (h *harness) app(name string, owners []string, perms ...string) {
	h.t.Helper()
	in := &identityv1.CreateAppRequest{Name: name, OwnerIds: h.people(owners...)}
	for _, p := range perms {
		priv := p[len(p)-1] == '*'
		if priv {
			p = p[:len(p)-1]
		}
		in.Permissions = append(in.Permissions, &identityv1.Permission{Name: p, Privileged: priv})
	}
	a, err := h.id.CreateApp(h.as("admin"), in)
	if err != nil {
		h.t.Fatalf("app %s: %v", name, err)
	}
	h.apps[name] = a.GetId()
}

func (h *harness) people(persons ...string) []string {
	out := make([]string, len(persons))
	for i, p := range persons {
		id, ok := h.ids[p]
		if !ok {
			h.t.Fatalf("no person %s", p)
		}
		out[i] = id
	}
	return out
}

// person returns the name of a user id (for messages).
func (h *harness) person(id string) string {
	for p, pid := range h.ids {
		if pid == id {
			return p
		}
	}
	return id
}

// policy creates and activates a policy.
func (h *harness) policy(name string, typ typev1.RequestType, scope *policyv1.Scope, reviews []*typev1.Step, action *typev1.Step) string {
	h.t.Helper()
	p, err := h.pol.CreatePolicy(h.as("admin"), &policyv1.CreatePolicyRequest{Name: name, RequestType: typ, Scope: scope,
		Workflow: &typev1.Workflow{ReviewSteps: reviews, ActionStep: action}})
	if err != nil {
		h.t.Fatalf("create policy %s: %v", name, err)
	}
	if _, err := h.pol.ActivatePolicyVersion(h.as("admin"), &policyv1.ActivatePolicyVersionRequest{PolicyId: p.GetId(), Version: 1}); err != nil {
		h.t.Fatalf("activate policy %s: %v", name, err)
	}
	return p.GetId()
}

func stepOf(name string, kind typev1.AssigneeKind, approval typev1.Approval, min int32, users ...string) *typev1.Step {
	return &typev1.Step{Name: name, Assignee: &typev1.Assignee{Kind: kind, UserIds: users}, Approval: approval, MinApprovals: min}
}

// submit submits as person and fails the test on error.
func (h *harness) submit(person string, in *requestv1.SubmitRequestRequest) *requestv1.Request {
	h.t.Helper()
	return servicetest.Must(h.req.SubmitRequest(h.as(person), in))(h.t, "submit as %s", person)
}

func (h *harness) grant(target, app, perm string) *requestv1.SubmitRequestRequest {
	in := &requestv1.SubmitRequestRequest{Type: typev1.RequestType_GRANT_ACCESS, AppId: h.apps[app], Permission: perm, Reason: "work"}
	if target != "" {
		in.TargetUserId = h.ids[target]
	}
	return in
}

func (h *harness) get(person, id string) *requestv1.Request {
	h.t.Helper()
	return servicetest.Must(h.req.GetRequest(h.as(person), &requestv1.GetRequestRequest{Id: id}))(h.t, "get request %s as %s", id, person)
}

// waitFor watches the request (as the admin) until a change leaves it so that cond holds,
// and returns it as that change left it; it fails once the request closed otherwise, or
// after a deadline. Advances travel through the outbox, so they are asynchronous by design.
func (h *harness) waitFor(id, what string, cond func(r *requestv1.Request) bool) *requestv1.Request {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.as("admin"), servicetest.Hang)
	defer cancel()
	watch, err := h.req.WatchRequest(ctx, &requestv1.WatchRequestRequest{Id: id})
	if err != nil {
		h.t.Fatalf("watch request %s: %v", id, err)
	}
	var last *requestv1.Request
	for {
		c, err := watch.Recv()
		if err != nil {
			h.t.Fatalf("request %s: waiting for %s: %v; last %v", id, what, err, last) // io.EOF: it closed
		}
		if last = c.GetRequest(); cond(last) {
			return last
		}
	}
}

func (h *harness) waitStatus(id string, s requestv1.Request_Status) *requestv1.Request {
	h.t.Helper()
	return h.waitFor(id, "status "+s.String(), func(r *requestv1.Request) bool { return r.GetStatus() == s })
}

// pending returns the pending tasks of request id at step index, waiting until there are n
// (looking again at each event: the task service records each task's change with one).
func (h *harness) pending(id string, step int32, n int) []*taskv1.Task {
	h.t.Helper()
	var got []*taskv1.Task
	h.audit.Until(h.t, fmt.Sprintf("request %s step %d: %d pending tasks", id, step, n), func() (bool, string) {
		res, err := h.tasks.ListTasks(h.as("admin"), &taskv1.ListTasksRequest{RequestId: id, Status: taskv1.Task_PENDING})
		if err != nil {
			h.t.Fatal(err)
		}
		got = got[:0]
		for _, t := range res.GetTasks() {
			if t.GetStepIndex() == step {
				got = append(got, t)
			}
		}
		return len(got) == n, fmt.Sprintf("have %d", len(got))
	})
	return got
}

// tasksOf returns every task of a request (as the admin).
func (h *harness) tasksOf(id string) []*taskv1.Task {
	h.t.Helper()
	return servicetest.Must(h.tasks.ListTasks(h.as("admin"), &taskv1.ListTasksRequest{RequestId: id}))(h.t, "tasks of %s", id).GetTasks()
}

func (h *harness) approve(person, taskID string) {
	h.t.Helper()
	if _, err := h.tasks.ApproveTask(h.as(person), &taskv1.ApproveTaskRequest{Id: taskID, Justification: "ok by " + person}); err != nil {
		h.t.Fatalf("approve %s as %s: %v", taskID, person, err)
	}
}

func (h *harness) complete(person, taskID string) {
	h.t.Helper()
	if _, err := h.tasks.CompleteTask(h.as(person), &taskv1.CompleteTaskRequest{Id: taskID, Note: "done by " + person}); err != nil {
		h.t.Fatalf("complete %s as %s: %v", taskID, person, err)
	}
}

// access returns the permission person holds on app ("" if none).
func (h *harness) access(person, app string) string {
	h.t.Helper()
	res, err := h.id.ListAccesses(h.as("admin"), &identityv1.ListAccessesRequest{UserId: h.ids[person], AppId: h.apps[app]})
	if err != nil {
		h.t.Fatal(err)
	}
	for _, a := range res.GetAccesses() {
		return a.GetPermission()
	}
	return ""
}

// assignees returns the persons of a task.
func (h *harness) assignees(t *taskv1.Task) []string {
	out := []string{}
	for _, id := range t.GetAssigneeIds() {
		out = append(out, h.person(id))
	}
	slices.Sort(out)
	return out
}

func code(err error) codes.Code { return status.Code(err) }

// badField returns the first field a BadRequest detail of err names.
func badField(err error) string {
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) > 0 {
			return br.GetFieldViolations()[0].GetField()
		}
	}
	return ""
}

// waitTask watches person's inbox until a task matches, failing after a deadline: it
// watches first, then lists, so that a task comes in either, never in neither.
func waitTask(t *testing.T, h *harness, person string, match func(*taskv1.Task) bool) *taskv1.Task {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.as(person), servicetest.Hang)
	defer cancel()
	watch, err := h.tasks.WatchTasks(ctx, &taskv1.WatchTasksRequest{})
	if err == nil {
		_, err = watch.Recv() // the cursor: the watch stands from now
	}
	if err != nil {
		t.Fatalf("watch %s's inbox: %v", person, err)
	}
	res, err := h.tasks.ListTasks(h.as(person), &taskv1.ListTasksRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range res.GetTasks() {
		if match(tk) {
			return tk
		}
	}
	for {
		c, err := watch.Recv()
		if err != nil {
			t.Fatalf("waiting for a matching task in %s's inbox: %v", person, err)
		}
		if tk := c.GetTask(); tk != nil && match(tk) {
			return tk
		}
	}
}

// --- events ---

// recorder is a sink that keeps what it receives, deduplicating by id as audit does.
type recorder struct{ servicetest.Recorder }

// actions returns the actions of the events about request id, in arrival order.
func (r *recorder) actions(id string) []string {
	out := []string{}
	for _, e := range r.Events() {
		if e.GetSubject() == "requests/"+id {
			out = append(out, e.GetAction())
		}
	}
	return out
}
