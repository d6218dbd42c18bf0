package reliability_test

import (
	"fmt"
	"strings"
	"testing"
)

// collector records what a check reports, in place of a testing.T.
type collector struct{ errs []string }

func (c *collector) Helper() {}
func (c *collector) Errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// TestCheckLifecyclesCatchesHalfWrittenRequests tests the oracle of the fault tests (unit
// tier, no servers): checkLifecycles accepts whole requests, DONE or waiting for someone,
// and reports every way a request can be left half-written.
func TestCheckLifecyclesCatchesHalfWrittenRequests(t *testing.T) {
	requester, owner := &person{name: "r", id: "u-r"}, &person{name: "o", id: "u-o"}
	lc := &lifecycle{i: 0, clientID: "c-1", pair: pair{requester: requester, owner: owner, app: "app-1"}}
	lc.requestID.Store("req-1")
	task := func(id string, step int, typ, status, decision string) dbTask {
		return dbTask{ID: id, RequestID: "req-1", StepIndex: step, Type: typ, Status: status, Decision: decision}
	}
	done := func() *snapshot {
		return &snapshot{
			requests: map[string]dbRequest{"c-1": {ID: "req-1", ClientID: "c-1", Status: "DONE", Stage: "CLOSED", RequesterID: "u-r", AppID: "app-1",
				StepIndex: 3, StepOpened: true, TaskIDs: []string{"t0", "t1", "t2"}}},
			tasks: map[string][]dbTask{"req-1": {task("t0", 0, "REVIEW", "DONE", "APPROVE"), task("t1", 1, "REVIEW", "DONE", "APPROVE"),
				task("t2", 2, "ACTION", "DONE", "")}},
			steps:    map[string][]string{"req-1": {"PASSED", "PASSED", "PASSED"}},
			accesses: map[[2]string]dbAccess{{"u-r", "app-1"}: {Permission: "read", RequestID: "req-1"}},
		}
	}
	waiting := func() *snapshot { // at the owner's review
		s := done()
		r := s.requests["c-1"]
		r.Status, r.Stage, r.StepIndex, r.TaskIDs = "IN_PROGRESS", "REVIEW", 1, []string{"t0", "t1"}
		s.requests["c-1"] = r
		s.tasks["req-1"] = []dbTask{task("t0", 0, "REVIEW", "DONE", "APPROVE"), task("t1", 1, "REVIEW", "PENDING", "")}
		s.steps["req-1"] = []string{"PASSED", "OPEN"}
		s.accesses = map[[2]string]dbAccess{}
		return s
	}
	change := func(base func() *snapshot, fn func(s *snapshot, r *dbRequest)) *snapshot {
		s := base()
		r := s.requests["c-1"]
		fn(s, &r)
		s.requests["c-1"] = r
		return s
	}
	for _, tc := range []struct {
		name  string
		s     *snapshot
		final bool
		want  string // a word of the report; "" for none
	}{
		{"DONE and whole", done(), true, ""},
		{"waiting for the owner", waiting(), false, ""},
		{"waiting, at the end", waiting(), true, "neither DONE nor waiting"},
		{"DONE without its access", change(done, func(s *snapshot, _ *dbRequest) { s.accesses = nil }), true, "has no access"},
		{"DONE, access of another request", change(done, func(s *snapshot, _ *dbRequest) {
			s.accesses[[2]string{"u-r", "app-1"}] = dbAccess{Permission: "read", RequestID: "req-2"}
		}), true, "has no access"},
		{"DONE with a pending task", change(done, func(s *snapshot, _ *dbRequest) { s.tasks["req-1"][2].Status = "PENDING" }), true, "not whole"},
		{"DONE with a step opened twice", change(done, func(s *snapshot, r *dbRequest) {
			s.tasks["req-1"] = append(s.tasks["req-1"], task("t3", 2, "ACTION", "DONE", ""))
			r.TaskIDs = append(r.TaskIDs, "t3")
		}), true, "not whole"},
		{"DONE with a step not passed", change(done, func(s *snapshot, _ *dbRequest) { s.steps["req-1"][1] = "OPEN" }), true, "not whole"},
		{"step recorded as opened, no task", change(waiting, func(s *snapshot, r *dbRequest) {
			s.tasks["req-1"] = s.tasks["req-1"][:1]
			r.TaskIDs = []string{"t0"}
		}), false, "no pending task"},
		{"step never opened", change(waiting, func(_ *snapshot, r *dbRequest) { r.StepOpened = false }), false, "not opened"},
		{"task ids lost", change(waiting, func(_ *snapshot, r *dbRequest) { r.TaskIDs = []string{"t0"} }), false, "task ids differ"},
		{"a later step opened early", change(waiting, func(s *snapshot, r *dbRequest) {
			s.tasks["req-1"] = append(s.tasks["req-1"], task("t2", 2, "ACTION", "PENDING", ""))
			r.TaskIDs = append(r.TaskIDs, "t2")
		}), false, "later step"},
		{"access granted while open", change(waiting, func(s *snapshot, _ *dbRequest) {
			s.accesses[[2]string{"u-r", "app-1"}] = dbAccess{Permission: "read", RequestID: "req-1"}
		}), false, "access"},
		{"closed FAILED", change(waiting, func(_ *snapshot, r *dbRequest) { r.Status = "FAILED" }), false, "neither DONE nor waiting"},
		{"another body", change(done, func(_ *snapshot, r *dbRequest) { r.AppID = "app-2" }), true, "another body"},
		{"a request nobody submitted", change(done, func(s *snapshot, _ *dbRequest) {
			s.requests["c-2"] = dbRequest{ID: "req-2", ClientID: "c-2"}
		}), true, "nobody submitted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got collector
			checkLifecycles(&got, tc.s, []*lifecycle{lc}, tc.final)
			switch {
			case tc.want == "" && len(got.errs) > 0:
				t.Errorf("reported %q, want nothing", got.errs)
			case tc.want != "" && (len(got.errs) == 0 || !strings.Contains(strings.Join(got.errs, "\n"), tc.want)):
				t.Errorf("reported %q, want a report saying %q", got.errs, tc.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		var got collector
		checkLifecycles(&got, &snapshot{requests: map[string]dbRequest{}}, []*lifecycle{lc}, true)
		if len(got.errs) != 1 || !strings.Contains(got.errs[0], "no request stored") {
			t.Errorf("reported %q, want that the request is not stored", got.errs)
		}
	})
}
