package pbconv

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/workflow"
)

func TestEnumsTravelByName(t *testing.T) {
	type kind string
	if got := Name[kind](typev1.RequestType_GRANT_ACCESS); got != "GRANT_ACCESS" {
		t.Fatalf("name: %q", got)
	}
	if got := Name[kind](typev1.RequestType_REQUEST_TYPE_UNSPECIFIED); got != "" {
		t.Fatalf("unspecified: %q", got)
	}
	if got := Value[typev1.RequestType](typev1.RequestType_value, kind("ARCHIVE_APP")); got != typev1.RequestType_ARCHIVE_APP {
		t.Fatalf("value: %v", got)
	}
	if got := Value[typev1.RequestType](typev1.RequestType_value, kind("")); got != typev1.RequestType_REQUEST_TYPE_UNSPECIFIED {
		t.Fatalf("empty: %v", got)
	}
}

func TestTimeAndList(t *testing.T) {
	if Time(time.Time{}) != nil {
		t.Fatal("the zero time is no timestamp")
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if !Time(at).AsTime().Equal(at) {
		t.Fatal("time")
	}
	if l := List[string](nil); l == nil || len(l) != 0 {
		t.Fatalf("list: %#v", l)
	}
}

func TestWorkflowSurvivesTheWire(t *testing.T) {
	w := workflow.Workflow{
		ReviewSteps: []workflow.Step{
			{Name: "Manager", Assignee: workflow.Assignee{Kind: workflow.Manager}, Approval: workflow.ApprovalAny, DueAfter: time.Hour,
				Escalation: &workflow.Escalation{After: 2 * time.Hour, To: "USERS", UserIDs: []string{"u9"}}},
			{Name: "Pair", Assignee: workflow.Assignee{Kind: workflow.Users, UserIDs: []string{"u1", "u2"}}, Approval: workflow.ApprovalQuorum, MinApprovals: 2},
			{Name: "Groups", Assignee: workflow.Assignee{Kind: workflow.UserGroups, GroupIDs: []string{"g1"}}, Approval: workflow.ApprovalAll},
			{Name: "Role", Assignee: workflow.Assignee{Kind: workflow.CustomRole, CustomRole: "security"}, Approval: workflow.ApprovalAny},
		},
		ActionStep:        workflow.Step{Name: "Agent", Assignee: workflow.Assignee{Kind: workflow.Agent}},
		MaxAccessDuration: 24 * time.Hour,
	}
	if diff := cmp.Diff(w, WorkflowFromPB(WorkflowPB(w)), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
	// Unspecified enums arrive as "", nothing defaulted.
	got := StepFromPB(&typev1.Step{Name: "x", Assignee: &typev1.Assignee{}, Escalation: &typev1.Escalation{}})
	if got.Assignee.Kind != "" || got.Approval != "" || got.Escalation == nil || got.Escalation.To != "" {
		t.Fatalf("unspecified: %+v", got)
	}
	if a := AssigneePB(workflow.Assignee{Kind: workflow.Admins}); a.GetGroupIds() == nil || a.GetUserIds() == nil {
		t.Fatalf("lists: %v", a)
	}
}

type mask []string

func (m mask) GetPaths() []string { return m }

func TestPathsFromTheMaskOrTheBody(t *testing.T) {
	set := map[string]bool{"url": true, "description": false, "disabled": true}
	if got := Paths(mask{"description"}, set); !slices.Equal(got, []string{"description"}) {
		t.Fatalf("mask: %v", got)
	}
	if got := Paths(mask(nil), set); !slices.Equal(got, []string{"disabled", "url"}) {
		t.Fatalf("body: %v", got)
	}
}

func TestReplyConvertsOrPassesTheError(t *testing.T) {
	double := Reply(func(n int) *int { d := 2 * n; return &d })
	if got, err := double(21, nil); err != nil || got == nil || *got != 42 {
		t.Fatalf("result: %v, %v", got, err)
	}
	failed := errors.New("no")
	if got, err := double(21, failed); err != failed || got != nil {
		t.Fatalf("error: %v, %v", got, err)
	}
}

func TestMapKeepsOrderAndShowsEmpty(t *testing.T) {
	if got := Map([]int{1, 2, 3}, strconv.Itoa); !slices.Equal(got, []string{"1", "2", "3"}) {
		t.Fatalf("map: %v", got)
	}
	if got := Map[int](nil, strconv.Itoa); got == nil || len(got) != 0 {
		t.Fatalf("empty: %#v", got)
	}
}

func TestEmptyOrTheError(t *testing.T) {
	if got, err := Empty(nil); err != nil || got == nil {
		t.Fatalf("no error: %v, %v", got, err)
	}
	failed := errors.New("no")
	if got, err := Empty(failed); err != failed || got != nil {
		t.Fatalf("error: %v, %v", got, err)
	}
}

func TestPageIsTheResponseOrTheError(t *testing.T) {
	resp := &struct{ next string }{"n"}
	if got, err := Page(resp, nil); err != nil || got != resp {
		t.Fatalf("no error: %v, %v", got, err)
	}
	failed := errors.New("no")
	if got, err := Page(resp, failed); err != failed || got != nil {
		t.Fatalf("error: %v, %v", got, err)
	}
}

func TestPatchAppliesWhatTheMaskOrTheBodyNames(t *testing.T) {
	type patch struct{ name, note *string }
	build := func(m mask, name, note string) (patch, error) {
		var p patch
		err := Patch(m, "name, note", map[string]Field{
			"name": Put(name != "", &p.name, name),
			"note": {Set: note != "", Apply: func() error {
				if len(note) > 3 {
					return errs.Invalid("note", "at most 3 characters")
				}
				p.note = &note
				return nil
			}},
		})
		return p, err
	}
	if p, err := build(nil, "n", ""); err != nil || p.name == nil || *p.name != "n" || p.note != nil {
		t.Fatalf("body: %+v, %v", p, err)
	}
	if p, err := build(mask{"note"}, "n", ""); err != nil || p.name != nil || p.note == nil || *p.note != "" {
		t.Fatalf("mask: %+v, %v", p, err)
	}
	_, err := build(mask{"color"}, "", "")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindInvalid || e.Fields[0].Field != "update_mask" ||
		!strings.Contains(e.Error(), "cannot update color; updatable: name, note") {
		t.Fatalf("unknown path: %v", err)
	}
	if _, err := build(nil, "", "long"); !errors.As(err, &e) || e.Fields[0].Field != "note" {
		t.Fatalf("refused value: %v", err)
	}
}
