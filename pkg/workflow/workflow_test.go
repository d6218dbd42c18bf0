package workflow

import "testing"

func TestCloneIsDeep(t *testing.T) {
	w := Workflow{
		ReviewSteps: []Step{{Name: "r", Assignee: Assignee{UserIDs: []string{"u"}}, Escalation: &Escalation{UserIDs: []string{"e"}}}},
		ActionStep:  Step{Assignee: Assignee{GroupIDs: []string{"g"}}},
	}
	c := w.Clone()
	c.ReviewSteps[0].Assignee.UserIDs[0], c.ReviewSteps[0].Escalation.UserIDs[0], c.ActionStep.Assignee.GroupIDs[0] = "x", "x", "x"
	c.ReviewSteps[0].Name = "x"
	if w.ReviewSteps[0].Assignee.UserIDs[0] != "u" || w.ReviewSteps[0].Escalation.UserIDs[0] != "e" || w.ActionStep.Assignee.GroupIDs[0] != "g" || w.ReviewSteps[0].Name != "r" {
		t.Fatalf("clone shares: %+v", w)
	}
}
