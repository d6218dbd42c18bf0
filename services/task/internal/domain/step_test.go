package domain

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestSettle(t *testing.T) {
	review := func(a Approval, min int) Step { return Step{Type: Review, Approval: a, MinApprovals: min} }
	for _, tc := range []struct {
		name  string
		step  Step
		tally Tally
		want  Outcome
	}{
		{"any open", review(Any, 0), Tally{Tasks: 1, Pending: 1}, Open},
		{"any approved", review(Any, 0), Tally{Tasks: 1, Approvals: 1}, Passed},
		{"any declined", review(Any, 0), Tally{Tasks: 1, Declines: 1}, Failed},
		{"all open", review(All, 0), Tally{Tasks: 3, Approvals: 2, Pending: 1}, Open},
		{"all passed", review(All, 0), Tally{Tasks: 3, Approvals: 3}, Passed},
		{"all one decline fails at once", review(All, 0), Tally{Tasks: 3, Declines: 1, Pending: 2}, Failed},
		{"quorum open", review(Quorum, 2), Tally{Tasks: 4, Approvals: 1, Declines: 1, Pending: 2}, Open},
		{"quorum reached before all decided", review(Quorum, 2), Tally{Tasks: 4, Approvals: 2, Pending: 2}, Passed},
		{"quorum out of reach fails early", review(Quorum, 3), Tally{Tasks: 4, Approvals: 1, Declines: 2, Pending: 1}, Failed},
		{"quorum still reachable", review(Quorum, 3), Tally{Tasks: 4, Approvals: 1, Declines: 1, Pending: 2}, Open},
		{"quorum of 1 like any", review(Quorum, 1), Tally{Tasks: 3, Approvals: 1, Pending: 2}, Passed},
		{"action open", Step{Type: Action, Approval: Any}, Tally{Tasks: 1, Pending: 1}, Open},
		{"action completed", Step{Type: Action, Approval: Any}, Tally{Tasks: 1, Completed: 1}, Passed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.step.Settle(tc.tally); got != tc.want {
				t.Errorf("Settle(%+v) = %s, want %s", tc.tally, got, tc.want)
			}
		})
	}
}

func TestTallyOf(t *testing.T) {
	tasks := []Task{
		{Status: Pending}, {Status: Done, Decision: Approve}, {Status: Declined, Decision: Decline},
		{Status: Done}, {Status: Cancelled}, {Status: Done, Decision: Approve},
	}
	want := Tally{Tasks: 6, Approvals: 2, Declines: 1, Completed: 1, Pending: 1}
	if got := TallyOf(tasks); got != want {
		t.Errorf("TallyOf = %+v, want %+v", got, want)
	}
}

// FuzzSettleIsFinal: deciding a step's tasks one by one, the first outcome that is not OPEN
// never changes with the decisions that follow, and once every task is decided the step is
// settled. This is what lets the task service cancel the rest of a step at its first
// settlement and the request service act on the first PASSED or FAILED.
func FuzzSettleIsFinal(f *testing.F) {
	f.Add(uint8(1), uint8(0), uint8(3), uint32(0b101))
	f.Add(uint8(2), uint8(2), uint8(4), uint32(0b0011))
	f.Add(uint8(2), uint8(3), uint8(5), uint32(0b11100))
	f.Fuzz(func(t *testing.T, mode, min, n uint8, decisions uint32) {
		tasks := int(n%20) + 1
		step := Step{Type: Review, Approval: []Approval{Any, All, Quorum}[mode%3]}
		if step.Approval == Any {
			tasks = 1
		}
		if step.Approval == Quorum {
			step.MinApprovals = int(min)%tasks + 1
		}
		tally := Tally{Tasks: tasks, Pending: tasks}
		first := Open
		for i := range tasks {
			tally.Pending--
			if decisions&(1<<i) != 0 {
				tally.Approvals++
			} else {
				tally.Declines++
			}
			got := step.Settle(tally)
			switch {
			case first == Open:
				first = got
			case got != first:
				t.Fatalf("%s step (min %d) of %d tasks settled %s, then became %s at %+v", step.Approval, step.MinApprovals, tasks, first, got, tally)
			}
		}
		if first == Open {
			t.Fatalf("%s step (min %d) fully decided (%+v) but still open", step.Approval, step.MinApprovals, tally)
		}
	})
}

func TestStepSpecValidate(t *testing.T) {
	ok := StepSpec{
		Step:     Step{RequestID: "r", Name: "n", Type: Review, Approval: All, RequesterID: "req", TargetUserID: "tgt"},
		Assignee: Assignee{Kind: "USERS"}, AssigneeIDs: []string{"a", "b"},
	}
	for _, tc := range []struct {
		name  string
		edit  func(*StepSpec)
		field string
	}{
		{"valid", func(*StepSpec) {}, ""},
		{"requester assigned", func(s *StepSpec) { s.AssigneeIDs = []string{"a", "req"} }, "assignee_ids"},
		{"target assigned", func(s *StepSpec) { s.AssigneeIDs = []string{"tgt"} }, "assignee_ids"},
		{"target assigned to action", func(s *StepSpec) { s.Type, s.Approval, s.AssigneeIDs = Action, "", []string{"tgt"} }, "assignee_ids"},
		{"nobody", func(s *StepSpec) { s.AssigneeIDs = nil }, "assignee_ids"},
		{"nobody but auto-approved", func(s *StepSpec) { s.AssigneeIDs, s.AutoApproveReason = nil, "GM" }, ""},
		{"agent reviews", func(s *StepSpec) { s.Assignee.Kind, s.AssigneeIDs = AgentKind, nil }, "assignee.kind"},
		{"agent acts", func(s *StepSpec) { s.Type, s.Approval, s.Assignee.Kind, s.AssigneeIDs = Action, "", AgentKind, nil }, ""},
		{"agent with people", func(s *StepSpec) { s.Type, s.Approval, s.Assignee.Kind = Action, "", AgentKind }, "assignee_ids"},
		{"action with ALL", func(s *StepSpec) { s.Type = Action }, "approval"},
		{"auto-approved action", func(s *StepSpec) { s.Type, s.Approval, s.AutoApproveReason = Action, "", "x" }, "auto_approve_reason"},
		{"quorum without min", func(s *StepSpec) { s.Approval = Quorum }, "min_approvals"},
		{"quorum beyond assignees", func(s *StepSpec) { s.Approval, s.MinApprovals = Quorum, 3 }, "min_approvals"},
		{"quorum reachable", func(s *StepSpec) { s.Approval, s.MinApprovals = Quorum, 2 }, ""},
		{"bad type", func(s *StepSpec) { s.Type = Standalone }, "type"},
		{"an id per task", func(s *StepSpec) { s.TaskIDs = []string{"t1", "t2"} }, ""},
		{"too few task ids", func(s *StepSpec) { s.TaskIDs = []string{"t1"} }, "task_ids"},
		{"one id for a shared task", func(s *StepSpec) { s.Approval, s.TaskIDs = Any, []string{"t1"} }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec := ok
			spec.AssigneeIDs = append([]string(nil), ok.AssigneeIDs...)
			tc.edit(&spec)
			spec.Normalize()
			err := spec.Validate()
			var fe *FieldError
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field):
				t.Fatalf("Validate: %v, want an error on %s", err, tc.field)
			}
		})
	}
}

func TestStepSpecTasks(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	n := 0
	newID := func() string { n++; return fmt.Sprintf("t%d", n) }
	spec := func(a Approval, auto string, ids ...string) StepSpec {
		s := StepSpec{Step: Step{RequestID: "r", Type: Review, Approval: a, MinApprovals: 1}, AssigneeIDs: ids, AutoApproveReason: auto, ResolutionNote: "note"}
		s.Normalize()
		return s
	}
	shape := func(ts []Task) [][]string {
		var out [][]string
		for _, t := range ts {
			out = append(out, t.AssigneeIDs)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		spec StepSpec
		want string
	}{
		{"any: one shared task", spec(Any, "", "a", "b", "c"), "[[a b c]]"},
		{"all: one per assignee", spec(All, "", "a", "b", "c"), "[[a] [b] [c]]"},
		{"quorum: one per assignee", spec(Quorum, "", "b", "a"), "[[b] [a]]"},
		{"auto-approved all: one task", spec(All, "GM", "a", "b"), "[[a b]]"},
		{"auto-approved, nobody", spec(All, "GM"), "[[]]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := tc.spec.Tasks(newID, now)
			if got := fmt.Sprint(shape(ts)); got != tc.want {
				t.Fatalf("shape %s, want %s", got, tc.want)
			}
			for _, task := range ts {
				if task.History[0].Event != EventCreated || task.History[0].Note != "note" || task.Version != 1 {
					t.Errorf("task %s: history %+v version %d", task.ID, task.History, task.Version)
				}
				if tc.spec.AutoApproveReason != "" && (task.Status != Done || task.Decision != Approve || task.DecidedBy != SystemActor || task.History[1].Event != EventAutoApproved) {
					t.Errorf("auto-approved task %+v", task)
				}
			}
		})
	}
}

// TestStepSpecTasksTakeTheCallersIDs: the ids the caller chose, in the tasks' order.
func TestStepSpecTasksTakeTheCallersIDs(t *testing.T) {
	for _, a := range []Approval{Any, All} {
		s := StepSpec{Step: Step{RequestID: "r", Type: Review, Approval: a}, AssigneeIDs: []string{"a", "b"}}
		s.Normalize()
		s.TaskIDs = []string{"x", "y"}[:s.TaskCount()]
		var got []string
		for _, task := range s.Tasks(func() string { return "new" }, time.Now()) {
			got = append(got, task.ID)
		}
		if !slices.Equal(got, s.TaskIDs) {
			t.Errorf("%s: task ids %v, want %v", a, got, s.TaskIDs)
		}
	}
}

func TestTaskStateMachine(t *testing.T) {
	now := time.Now()
	review := Task{Type: Review, Status: Pending}
	if err := review.Complete("u", "", now); !errors.Is(err, ErrNotCompletable) {
		t.Errorf("complete review: %v", err)
	}
	if err := review.Decide(Decline, "u", "no", now); err != nil || review.Status != Declined || review.Version != 1 {
		t.Fatalf("decline: %v %+v", err, review)
	}
	if err := review.Decide(Approve, "u", "", now); !errors.Is(err, ErrNotPending) {
		t.Errorf("approve declined: %v", err)
	}
	if review.Cancel("u", "", now) {
		t.Error("cancelled a declined task")
	}
	action := Task{Type: Action, Status: Pending}
	if err := action.Decide(Approve, "u", "", now); !errors.Is(err, ErrNotReview) {
		t.Errorf("approve action: %v", err)
	}
	if err := action.Complete("u", "done", now); err != nil || action.Status != Done || action.Decision != NoDecision {
		t.Fatalf("complete: %v %+v", err, action)
	}
	if err := action.Reassign([]string{"x"}, "a", "", now); !errors.Is(err, ErrNotPending) {
		t.Errorf("reassign done: %v", err)
	}
}
