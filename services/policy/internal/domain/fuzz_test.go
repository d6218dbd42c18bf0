package domain

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// FuzzValidateWorkflow feeds ValidateWorkflow arbitrary workflows (as the JSON the store
// keeps) and checks it against an independent statement of the rules: it never panics,
// it is deterministic, it names fields under "workflow", and what it accepts really obeys
// every rule, before and after Normalize and a JSON round trip. The committed seed corpus
// is under testdata/fuzz/FuzzValidateWorkflow.
func FuzzValidateWorkflow(f *testing.F) {
	for _, w := range []Workflow{valid(), {ActionStep: act("Do", Agent)}, SystemDefaults()[1].Workflow} {
		raw, _ := json.Marshal(w)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var w Workflow
		if json.Unmarshal(raw, &w) != nil {
			return
		}
		vs := ValidateWorkflow(w)
		if again := ValidateWorkflow(w); !reflect.DeepEqual(vs, again) {
			t.Fatalf("not deterministic: %v then %v", vs, again)
		}
		for _, v := range vs {
			if !strings.HasPrefix(v.Field, "workflow") || v.Description == "" {
				t.Fatalf("bad violation %+v", v)
			}
		}
		if len(vs) > 0 {
			return
		}
		if broken := oracle(w); broken != "" {
			t.Fatalf("accepted a workflow that %s: %s", broken, raw)
		}
		n := Normalize(w)
		if vs := ValidateWorkflow(n); len(vs) > 0 {
			t.Fatalf("valid, but not once normalized: %v", vs)
		}
		if !reflect.DeepEqual(Normalize(n), n) {
			t.Fatal("Normalize is not idempotent")
		}
		enc, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		var back Workflow
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatal(err)
		}
		if vs := ValidateWorkflow(back); len(vs) > 0 || !reflect.DeepEqual(Normalize(back), n) {
			t.Fatalf("JSON round trip changed a valid workflow: %v", vs)
		}
	})
}

// oracle restates the rules of a valid workflow, step by step, without sharing code with
// ValidateWorkflow; it returns the first rule w breaks, or "".
func oracle(w Workflow) string {
	if len(w.ReviewSteps) > MaxReviewSteps {
		return "has too many review steps"
	}
	var names []string
	steps := append(slices.Clone(w.ReviewSteps), w.ActionStep)
	for i, s := range steps {
		review := i < len(steps)-1
		name := strings.ToLower(strings.TrimSpace(s.Name))
		if name == "" || len([]rune(name)) > MaxNameLen {
			return "has a step without a proper name"
		}
		if slices.Contains(names, name) {
			return "repeats a step name"
		}
		names = append(names, name)
		a := s.Assignee
		if !slices.Contains(AssigneeKinds, a.Kind) {
			return "has an unknown assignee kind"
		}
		if review && a.Kind == Agent {
			return "lets the agent review"
		}
		if (a.Kind == UserGroups) != (len(a.GroupIDs) > 0) || (a.Kind == Users) != (len(a.UserIDs) > 0) ||
			(a.Kind == CustomRole) != (strings.TrimSpace(a.CustomRole) != "") || (a.Kind != CustomRole && a.CustomRole != "") {
			return "pairs a kind with the wrong parameters"
		}
		for _, ids := range [][]string{a.GroupIDs, a.UserIDs} {
			if slices.Contains(ids, "") || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
				return "lists an empty or repeated id"
			}
		}
		if !review {
			if s.Approval != "" || s.MinApprovals != 0 {
				return "sets an approval on the action step"
			}
			continue
		}
		switch s.Approval {
		case "", ApprovalAny, ApprovalAll:
			if s.MinApprovals != 0 {
				return "sets min_approvals without QUORUM"
			}
		case ApprovalQuorum:
			if s.MinApprovals < 1 || (a.Kind == Users && int(s.MinApprovals) > len(a.UserIDs)) {
				return "sets a quorum that cannot be reached"
			}
		default:
			return "has an unknown approval"
		}
	}
	return ""
}
