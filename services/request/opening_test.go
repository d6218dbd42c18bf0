package request_test

import (
	"testing"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
)

// TestTheRequestNamesEachStepsTasksBeforeTheyExist: the request owns the step position. It
// records a step's opening, with the ids of the step's tasks, in the commit that decides to
// open it, and only then asks the task service for those tasks: the submit's answer names
// the first step's task, the approval's commit the next step's, and the task service made
// them under exactly those ids. So no outcome can reach the request before its step's
// opening is recorded.
func TestTheRequestNamesEachStepsTasksBeforeTheyExist(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.submit("uma", h.grant("", "Figma", "editor"))
		if len(r.GetTaskIds()) != 1 {
			t.Fatalf("submit's answer names tasks %v, want the first step's one task", r.GetTaskIds())
		}
		mgr := h.pending(r.GetId(), 0, 1)[0]
		if mgr.GetId() != r.GetTaskIds()[0] {
			t.Fatalf("the manager's task is %s, the request named %s", mgr.GetId(), r.GetTaskIds()[0])
		}
		h.approve("mona", mgr.GetId())
		var next string
		h.waitFor(r.GetId(), "the owner's step named", func(r *requestv1.Request) bool {
			if ids := r.GetTaskIds(); len(ids) == 2 {
				next = ids[1]
				return true
			}
			return false
		})
		if owner := h.pending(r.GetId(), 1, 1)[0]; owner.GetId() != next {
			t.Fatalf("the owner's task is %s, the request named %s", owner.GetId(), next)
		}
		if next <= mgr.GetId() {
			t.Fatalf("the owner's task %s sorts before the manager's %s: lists by id lose the steps' order", next, mgr.GetId())
		}
		want := []string{"request.created", "request.step_opened", "request.step_passed", "request.step_opened"}
		waitActions(t, h, r.GetId(), want)
	})
}
