package domain

import (
	"slices"
	"testing"
)

func TestNext(t *testing.T) {
	review := Step{Name: "Manager", Assignee: Assignee{Kind: "MANAGER"}}
	people := Workflow{ReviewSteps: []Step{review}, ActionStep: Step{Name: "Grant", Assignee: Assignee{Kind: "APP_OWNER"}}}
	agent := Workflow{ReviewSteps: []Step{review}, ActionStep: Step{Name: "Grant", Assignee: Assignee{Kind: AgentKind}}}
	noReview := Workflow{ActionStep: Step{Name: "Grant", Assignee: Assignee{Kind: AgentKind}}}
	for _, tc := range []struct {
		name string
		r    Request
		want Move
	}{
		{"submitted: open the first review step", Request{Status: InProgress, Workflow: people}, MoveOpenStep},
		{"review step open: wait for people", Request{Status: InProgress, Workflow: people, StepOpened: true}, MoveNone},
		{"review step passed: open the action step", Request{Status: InProgress, Workflow: people, StepIndex: 1}, MoveOpenStep},
		{"action step open for people: wait", Request{Status: InProgress, Workflow: people, StepIndex: 1, StepOpened: true}, MoveNone},
		{"action step open for the agent: run it", Request{Status: InProgress, Workflow: agent, StepIndex: 1, StepOpened: true}, MoveRunAgent},
		{"agent review step not yet at the action: wait", Request{Status: InProgress, Workflow: agent, StepOpened: true}, MoveNone},
		{"no review steps: open the action step", Request{Status: InProgress, Workflow: noReview}, MoveOpenStep},
		{"no review steps, agent's step open: run it", Request{Status: InProgress, Workflow: noReview, StepOpened: true}, MoveRunAgent},
		{"action step passed: apply", Request{Status: InProgress, Workflow: people, StepIndex: 1, StepOpened: true, Applying: true}, MoveApply},
		{"applying wins over an unopened step", Request{Status: InProgress, Workflow: people, StepIndex: 1, Applying: true}, MoveApply},
		{"done: nothing", Request{Status: Done, Workflow: people, StepIndex: 1, StepOpened: true}, MoveNone},
		{"declined while a step was unopened: nothing", Request{Status: Declined, Workflow: people}, MoveNone},
		{"cancelled while applying: nothing", Request{Status: Cancelled, Workflow: people, Applying: true}, MoveNone},
		{"failed with the agent's step open: nothing", Request{Status: Failed, Workflow: agent, StepIndex: 1, StepOpened: true}, MoveNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.r.Next(); got != tc.want {
				t.Fatalf("Next() = %s, want %s", got, tc.want)
			}
		})
	}
}

// TestAdvanceThenNext walks a two-step workflow by the moves Next decides.
func TestAdvanceThenNext(t *testing.T) {
	r := Request{Status: InProgress, Stage: StageReview, Workflow: Workflow{
		ReviewSteps: []Step{{Name: "a"}, {Name: "b"}}, ActionStep: Step{Name: "act", Assignee: Assignee{Kind: "USERS"}},
	}}
	var moves []Move
	for range 10 {
		m := r.Next()
		moves = append(moves, m)
		switch m {
		case MoveOpenStep:
			r.StepOpened = true
			continue
		case MoveApply:
			r.Close(Done, "")
			continue
		}
		if !r.Open() {
			break
		}
		r.Advance() // the open step passed
	}
	want := []Move{MoveOpenStep, MoveNone, MoveOpenStep, MoveNone, MoveOpenStep, MoveNone, MoveApply, MoveNone}
	if len(moves) != len(want) {
		t.Fatalf("moves %v, want %v", moves, want)
	}
	for i := range want {
		if moves[i] != want[i] {
			t.Fatalf("moves %v, want %v", moves, want)
		}
	}
	if r.Status != Done || r.Stage != StageClosed {
		t.Fatalf("request ends %s %s", r.Status, r.Stage)
	}
}

// TestTakesOutcome: an outcome applies only to the open request's current step, once its
// opening is recorded (it always is before the task service makes the step's tasks).
func TestTakesOutcome(t *testing.T) {
	people := Workflow{ReviewSteps: []Step{{Name: "manager"}}, ActionStep: Step{Name: "act"}}
	for _, tc := range []struct {
		name  string
		r     Request
		index int
		want  bool
	}{
		{"the current step, opened", Request{Status: InProgress, Workflow: people, StepOpened: true}, 0, true},
		{"the current step, its opening not recorded", Request{Status: InProgress, Workflow: people}, 0, false},
		{"an earlier step", Request{Status: InProgress, Workflow: people, StepIndex: 1, StepOpened: true}, 0, false},
		{"a later step", Request{Status: InProgress, Workflow: people, StepOpened: true}, 1, false},
		{"applying", Request{Status: InProgress, Workflow: people, StepIndex: 1, StepOpened: true, Applying: true}, 1, false},
		{"closed", Request{Status: Cancelled, Workflow: people, StepOpened: true}, 0, false},
	} {
		if got := tc.r.TakesOutcome(tc.index); got != tc.want {
			t.Errorf("%s: TakesOutcome(%d) = %v, want %v", tc.name, tc.index, got, tc.want)
		}
	}
}

// TestNewTaskIDsSortInTheOrderTheyWereMade: a step's tasks, and the next step's, sort after
// the ones made before them (lists are ordered by id), and never collide.
func TestNewTaskIDsSortInTheOrderTheyWereMade(t *testing.T) {
	a, b := NewTaskIDs(3), NewTaskIDs(2)
	all := append(slices.Clone(a), b...)
	if len(all) != 5 || !slices.IsSorted(all) || len(slices.Compact(slices.Clone(all))) != 5 {
		t.Fatalf("ids %v: want 5 distinct ids in ascending order", all)
	}
}
