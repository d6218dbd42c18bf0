package task_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/identity/identitytest"
	"github.com/grantflow/grantflow/services/task"
	"github.com/grantflow/grantflow/services/task/internal/store/postgres"
)

const bootstrapKey = "bootstrap-key-for-task-tests-0123456789"

// harness runs the real identity service and the task service, each behind the kit's real
// server chain on an in-memory listener, the task service calling identity through the
// generated client with signed internal tokens, as in production. Its outbox relays deliver
// to recording sinks.
type harness struct {
	t        testing.TB
	svc      *task.Service
	pub      taskv1.TaskServiceClient
	internal taskv1.TaskInternalServiceClient
	idPub    identityv1.IdentityServiceClient
	signer   *auth.Signer
	// People are the persons of the test by name (As, Onboard, Keys, IDs).
	*servicetest.People
	sinks map[string]*recorder
	// clock is the task service's time: tests move it to make timers due.
	clock *timer.ManualClock
	conn  *grpc.ClientConn // to the task server
}

// newHarness starts both services; postgresURL "" selects the task memory engine.
func newHarness(t testing.TB, postgresURL string) *harness {
	t.Helper()
	signer := servicetest.Signer(t)

	// The task service's connection to identity carries the caller as a signed token.
	idPub, idInternal := identitytest.Start(t, signer, bootstrapKey)

	h := &harness{t: t, signer: signer, sinks: map[string]*recorder{"audit": {}, "request": {}},
		clock: timer.NewManualClock(time.Now())}
	h.idPub = idPub
	h.People = servicetest.NewPeople(t, h.idPub, bootstrapKey)
	svc, err := task.New(context.Background(), task.Options{Settings: kit.Settings{Logger: slog.New(slog.DiscardHandler), PostgresURL: postgresURL, Clock: h.clock, TimerPoll: 24 * time.Hour}, Identity: idInternal,
		AuditSink: h.sinks["audit"], RequestSink: h.sinks["request"]})
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Run(t, svc)

	srv := servicetest.Server(t, signer, auth.Identity(idInternal), kit.InternalMethod)
	svc.Register(srv)
	conn := servicetest.Serve(t, srv)
	h.svc, h.pub, h.internal, h.conn = svc, taskv1.NewTaskServiceClient(conn), taskv1.NewTaskInternalServiceClient(conn), conn
	return h
}

// forEachEngine runs test on the memory engine and on a PostgreSQL database of its own
// (skipped loudly, or failed under CI=true, without PostgreSQL).
func forEachEngine(t *testing.T, test func(t *testing.T, h *harness)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, "")
		h.seedOrg()
		test(t, h)
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, postgresURL(t))
		h.seedOrg()
		test(t, h)
	})
}

// postgresURL returns a fresh database with the task schema migrated (from the template).
func postgresURL(t testing.TB) string {
	pgtest.NewDatabase(t, postgres.Schema.Options(""))
	return pgtest.URL(t)
}

// system is a context calling as another Grantflow service would (signed internal token).
func (h *harness) system() context.Context { return servicetest.System(h.t, h.signer) }

// seedOrg builds, through identity's public API:
//
//	gm (GENERAL_MANAGER)
//	├── admin (ADMIN)
//	├── mona (manager) ── uma, ulf
//	├── otto, vera, walt, xena (reviewers)
//	└── olga (offboarded)
func (h *harness) seedOrg() {
	h.t.Helper()
	h.Org()
	for _, p := range []string{"otto", "vera", "walt", "xena", "olga"} {
		h.Onboard(p, "USER", "gm")
	}
	if _, err := h.idPub.OffboardUser(h.As("admin"), &identityv1.OffboardUserRequest{Id: h.IDs["olga"]}); err != nil {
		h.t.Fatalf("offboard olga: %v", err)
	}
}

// people returns the user ids of persons.
func (h *harness) people(persons ...string) []string {
	out := make([]string, len(persons))
	for i, p := range persons {
		id, ok := h.IDs[p]
		if !ok {
			id = p // not a seeded person: used as is
		}
		out[i] = id
	}
	return out
}

// step describes an OpenStep call in the tests' terms.
type step struct {
	request    string
	index      int32
	typ        taskv1.Task_Type
	approval   typev1.Approval
	min        int32
	assignees  []string // persons
	requester  string   // person; default uma
	target     string   // person; default uma
	autoReason string
	kind       typev1.AssigneeKind
}

func (h *harness) openReq(s step) *taskv1.OpenStepRequest {
	if s.requester == "" {
		s.requester = "uma"
	}
	if s.target == "" {
		s.target = "uma"
	}
	if s.typ == taskv1.Task_TYPE_UNSPECIFIED {
		s.typ = taskv1.Task_REVIEW
	}
	if s.kind == typev1.AssigneeKind_ASSIGNEE_KIND_UNSPECIFIED {
		s.kind = typev1.AssigneeKind_USERS
	}
	ids := h.people(s.assignees...)
	spec := &typev1.Assignee{Kind: s.kind}
	if s.kind == typev1.AssigneeKind_USERS {
		spec.UserIds = ids
	}
	return &taskv1.OpenStepRequest{
		RequestId: s.request, PolicyId: "pol-figma", PolicyVersion: 3, StepIndex: s.index, StepName: "review " + s.request,
		Type: s.typ, Assignee: spec, Approval: s.approval, MinApprovals: s.min, AssigneeIds: ids,
		Action: "Grant editor on Figma to uma", RequesterId: h.IDs[s.requester], TargetUserId: h.IDs[s.target],
		AutoApproveReason: s.autoReason,
	}
}

// open opens a step and returns its tasks.
func (h *harness) open(s step) []*taskv1.Task {
	h.t.Helper()
	return servicetest.Must(h.internal.OpenStep(h.system(), h.openReq(s)))(h.t, "OpenStep %s/%d", s.request, s.index).GetTasks()
}

func (h *harness) get(person, id string) *taskv1.Task {
	h.t.Helper()
	return servicetest.Must(h.pub.GetTask(h.As(person), &taskv1.GetTaskRequest{Id: id}))(h.t, "GetTask %s as %s", id, person)
}

func (h *harness) approve(person, id string) (*taskv1.Task, error) {
	return h.pub.ApproveTask(h.As(person), &taskv1.ApproveTaskRequest{Id: id, Justification: "ok by " + person})
}

func (h *harness) decline(person, id string) (*taskv1.Task, error) {
	return h.pub.DeclineTask(h.As(person), &taskv1.DeclineTaskRequest{Id: id, Justification: "no by " + person})
}

// must fails the test when a call failed, and returns its task.
func (h *harness) must(t *taskv1.Task, err error) *taskv1.Task {
	h.t.Helper()
	return servicetest.Must(t, err)(h.t, "unexpected error")
}

// --- events ---

// recorder is a sink that keeps what it receives, like a receiver that dedupes by id.
type recorder struct{ servicetest.Recorder }

func (r *recorder) snapshot() []*eventsv1.Event { return r.Events() }

// eventData is the documented payload of a task event (README "Events").
type eventData struct {
	TaskID              string   `json:"taskId"`
	RequestID           string   `json:"requestId"`
	PolicyID            string   `json:"policyId"`
	PolicyVersion       int64    `json:"policyVersion"`
	StepIndex           int      `json:"stepIndex"`
	StepName            string   `json:"stepName"`
	Type                string   `json:"type"`
	Status              string   `json:"status"`
	AssigneeIDs         []string `json:"assigneeIds"`
	Action              string   `json:"action"`
	Decision            string   `json:"decision"`
	DecidedBy           string   `json:"decidedBy"`
	Justification       string   `json:"justification"`
	Note                string   `json:"note"`
	PreviousAssigneeIDs []string `json:"previousAssigneeIds"`
	Approval            string   `json:"approval"`
	MinApprovals        int      `json:"minApprovals"`
	StepTaskCount       *int     `json:"stepTaskCount"`
	StepApprovals       int      `json:"stepApprovals"`
	StepDeclines        int      `json:"stepDeclines"`
	StepOutcome         string   `json:"stepOutcome"`
	CancelledTaskIDs    []string `json:"cancelledTaskIds"`
}

func data(t testing.TB, e *eventsv1.Event) eventData {
	t.Helper()
	p := e.GetTaskChanged()
	if p == nil {
		t.Fatalf("event %s: no task payload", e.GetAction())
	}
	d := eventData{
		TaskID: p.GetTaskId(), RequestID: p.GetRequestId(), PolicyID: p.GetPolicyId(), PolicyVersion: p.GetPolicyVersion(),
		StepIndex: int(p.GetStepIndex()), StepName: p.GetStepName(), Type: p.GetType(), Status: p.GetStatus(),
		AssigneeIDs: p.GetAssigneeIds(), Action: p.GetAction(), Decision: p.GetDecision(), DecidedBy: p.GetDecidedBy(),
		Justification: p.GetJustification(), Note: p.GetNote(), PreviousAssigneeIDs: p.GetPreviousAssigneeIds(),
		Approval: p.GetApproval(), MinApprovals: int(p.GetMinApprovals()), StepApprovals: int(p.GetStepApprovals()),
		StepDeclines: int(p.GetStepDeclines()), StepOutcome: p.GetStepOutcome(), CancelledTaskIDs: p.GetCancelledTaskIds(),
	}
	if p.GetStepOutcome() != "" { // the step's state: outcome events only
		n := int(p.GetStepTaskCount())
		d.StepTaskCount = &n
	}
	return d
}

// eventsOf waits until sink holds at least n events matching keep, and returns them all
// (the matching ones), in delivery order.
func (h *harness) eventsOf(sink string, n int, keep func(*eventsv1.Event) bool) []*eventsv1.Event {
	h.t.Helper()
	return h.sinks[sink].Await(h.t, n, "matching "+sink, keep)
}

// ofRequest keeps the events of request id.
func ofRequest(id string) func(*eventsv1.Event) bool {
	return func(e *eventsv1.Event) bool { return e.GetRequestId() == id }
}

// ofTask keeps the events of task id.
func ofTask(id string) func(*eventsv1.Event) bool {
	return func(e *eventsv1.Event) bool { return e.GetTaskId() == id }
}

func actions(evs []*eventsv1.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.GetAction()
	}
	return out
}

// --- errors ---

var (
	wantCode     = servicetest.WantCode
	wantBadField = servicetest.WantBadField
)

func taskIDs(ts []*taskv1.Task) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.GetId()
	}
	return out
}
