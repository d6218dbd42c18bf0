package domain

import (
	"slices"
	"testing"
)

func TestMovesWithManager(t *testing.T) {
	base := Task{Type: Review, Status: Pending, Assignee: Assignee{Kind: "MANAGER"}, RequestID: "r",
		RequesterID: "req", TargetUserID: "uma", AssigneeIDs: []string{"mona"}}
	cases := []struct {
		name string
		edit func(*Task)
		user string
		want bool
	}{
		{"the target's manager review", func(*Task) {}, "uma", true},
		{"another user's move", func(*Task) {}, "ulf", false},
		{"the requester's move when there is a target", func(*Task) {}, "req", false},
		{"no target: the requester's manager", func(t *Task) { t.TargetUserID = "" }, "req", true},
		{"not the old manager's", func(t *Task) { t.AssigneeIDs = []string{"admin"} }, "uma", false},
		{"the old manager among others (escalated)", func(t *Task) { t.AssigneeIDs = []string{"admin", "mona"} }, "uma", true},
		{"decided", func(t *Task) { t.Status = Done }, "uma", false},
		{"cancelled", func(t *Task) { t.Status = Cancelled }, "uma", false},
		{"an owner step", func(t *Task) { t.Assignee.Kind = "APP_OWNER" }, "uma", false},
		{"an action task", func(t *Task) { t.Type = Action }, "uma", false},
		{"a standalone task", func(t *Task) { t.Type, t.RequestID, t.TargetUserID, t.RequesterID = Standalone, "", "", "" }, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			task := base.Clone()
			c.edit(&task)
			if got := task.MovesWithManager(c.user, "mona"); got != c.want {
				t.Errorf("MovesWithManager = %v, want %v", got, c.want)
			}
		})
	}
}

func TestReplaceAssignee(t *testing.T) {
	task := Task{AssigneeIDs: []string{"admin", "mona", "admin"}}
	if got := task.ReplaceAssignee("mona", []string{"nina", "admin", "uma"}, []string{"uma"}); !slices.Equal(got, []string{"admin", "nina"}) {
		t.Errorf("ReplaceAssignee = %v", got)
	}
}
