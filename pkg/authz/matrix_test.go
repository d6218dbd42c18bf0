package authz

import (
	"fmt"
	"strings"
	"testing"
)

// documentMatrix is the permissions matrix of the roles document, copied cell for cell
// with the document's own markers, so that a reviewer can diff it against the document
// by eye. Columns: User, Manager, App Owner, Admin, General Manager.
var documentMatrix = []struct {
	capability                                  Capability
	label                                       string // the document's row label
	user, manager, appOwner, admin, generalMngr string
}{
	{SubmitRequests, "Submit Requests",
		"✅", "✅", "✅", "✅", "✅ (skip manager approval)"},
	{ApproveRequests, "Approve Requests",
		":scales: (unless assigned in policy)", "✅ (only for direct reports)", "✅ (only for own apps)", "✅ (any)", "✅ (any)"},
	{OnboardUser, "Onboard User",
		"❌", "❌", "❌", "✅", "✅"},
	{OffboardUser, "Offboard User",
		"❌", "✅ (only direct reports)", "❌", "✅ (any)", "✅ (any)"},
	{EditUser, "Edit User",
		"❌", "✅ (only direct reports)", "❌", "✅", "✅"},
	{ManageUserGroups, "Manage User Groups",
		"❌", "❌", "❌", "✅", "✅"},
	{EditApp, "Edit App (App Metadata, App Owners, etc.)",
		"❌", "❌", "✅ (only own apps)", "✅ (any)", "✅ (any)"},
	{ManageAppAccess, "Manage App Access (Add or Remove Users)",
		"❌", "✅ (only for direct reports)", "✅ (only own apps)", "✅ (any)", "✅ (any)"},
	{CreateAccessReviews, "Create Access Reviews",
		"❌", "❌", "❌", "✅", "✅"},
	{CompleteAccessReviews, "Complete Access Reviews",
		"❌", "✅ (only for direct reports)", "✅ (only own apps)", "✅ (any)", "✅ (any)"},
	{UseBrowserExtension, "Use Browser Extension",
		"✅", "✅", "✅", "✅", "✅"},
	{IntegrateHRISIdP, "Integrate HRIS/IdP",
		"❌", "❌", "❌", "✅", "✅"},
	{SetUpAutoProvisioning, "Set Up Auto Provisioning",
		"❌", "❌", "✅ (only own apps)", "✅", "✅"},
	{CreateCustomPolicies, "Create Custom Policies",
		"❌", "❌", "❌", "✅", "✅"},
	{CreateCustomLayouts, "Create Custom Layouts",
		"❌", "❌", "❌", "✅", "✅"},
	{CreateAPIKeysAndWebhooks, "Create API Keys and Webhooks",
		"❌", "❌", "❌", "✅", "✅"},
}

// matrixColumn is one column of the document: the subject that plays it and the
// scenario where its role applies (a Manager acts on a direct report, an App Owner on
// its own app, a User on itself; Admin and GM on something foreign to them).
type matrixColumn struct {
	name    string
	subject Subject
	home    scenario
}

var matrixColumns = [5]matrixColumn{
	{"User", plainUser, selfScenario},
	{"Manager", manager, reportScenario},
	{"App Owner", appOwner, ownAppScenario},
	{"Admin", admin, foreignScenario},
	{"General Manager", generalMgr, foreignScenario},
}

// cellCase is one assertion about a cell: on this scenario, the column's subject is
// allowed or denied, and when allowed, for this reason ("" when any reason will do).
type cellCase struct {
	on         scenario
	want       bool
	wantReason string
}

// casesFor turns a document marker into assertions:
//
//   - ❌: denied on the column's home scenario and on a foreign one.
//   - ✅ in the User, Manager or App Owner column: the base User right, which the
//     matrix does not scope; asserted for the subject itself. (That a User may not
//     submit for others is the API's rule, tested with CanSubmitRequestFor.)
//   - ✅, ✅ (any), ✅ (skip manager approval) in the Admin and GM columns: allowed on
//     every scenario, by the column's own rule.
//   - qualified cells: allowed in scope, by the qualifier's rule, and denied out of
//     scope (a foreign resource; for "assigned" also the subject's own).
func casesFor(marker string, col int) ([]cellCase, error) {
	c := matrixColumns[col]
	adminish := col >= 3
	ownRule := map[int]string{3: "admin: any", 4: "general manager: any"}[col]
	switch marker {
	case "❌":
		return []cellCase{{c.home, false, ""}, {foreignScenario, false, ""}}, nil
	case "✅", "✅ (any)", "✅ (skip manager approval)":
		if !adminish {
			if marker != "✅" {
				return nil, fmt.Errorf("marker %q outside the Admin and GM columns", marker)
			}
			return []cellCase{{selfScenario, true, ""}}, nil
		}
		var cs []cellCase
		for _, sc := range allScenarios {
			cs = append(cs, cellCase{sc, true, ownRule})
		}
		return cs, nil
	case "✅ (only for direct reports)", "✅ (only direct reports)":
		return []cellCase{{reportScenario, true, "manager: only direct reports"}, {foreignScenario, false, ""}}, nil
	case "✅ (only for own apps)", "✅ (only own apps)":
		return []cellCase{{ownAppScenario, true, "app owner: only own apps"}, {foreignScenario, false, ""}}, nil
	case ":scales: (unless assigned in policy)":
		return []cellCase{
			{assignedScenario, true, "user: only when assigned in policy"},
			{foreignScenario, false, ""},
			{selfScenario, false, ""},
		}, nil
	}
	return nil, fmt.Errorf("unknown marker %q", marker)
}

// TestMatrix asserts every cell of the permissions matrix: 16 capabilities by 5 columns,
// each qualified cell both in scope and out of scope.
func TestMatrix(t *testing.T) {
	if len(documentMatrix) != len(AllCapabilities()) {
		t.Fatalf("document matrix has %d rows, the package %d capabilities", len(documentMatrix), len(AllCapabilities()))
	}
	cells, assertions := 0, 0
	for i, row := range documentMatrix {
		if want := AllCapabilities()[i]; row.capability != want {
			t.Fatalf("row %d (%s) is %v, the document's order says %v", i, row.label, row.capability, want)
		}
		markers := [5]string{row.user, row.manager, row.appOwner, row.admin, row.generalMngr}
		for col, marker := range markers {
			column := matrixColumns[col]
			cases, err := casesFor(marker, col)
			if err != nil {
				t.Fatalf("%s / %s: %v", row.label, column.name, err)
			}
			for _, cc := range cases {
				d := Check(column.subject, row.capability, cc.on.of(column.subject.UserID))
				assertions++
				if d.Allowed != cc.want {
					t.Errorf("%s / %s (%s) on %s: allowed=%v, want %v (reason %q)",
						row.label, column.name, marker, cc.on.name, d.Allowed, cc.want, d.Reason)
				}
				if d.Reason == "" {
					t.Errorf("%s / %s on %s: empty reason", row.label, column.name, cc.on.name)
				}
				if cc.wantReason != "" && d.Reason != cc.wantReason {
					t.Errorf("%s / %s on %s: reason %q, want %q", row.label, column.name, cc.on.name, d.Reason, cc.wantReason)
				}
			}
			if row.capability == SubmitRequests {
				want := strings.Contains(marker, "skip manager approval")
				assertions++
				if got := SkipsManagerApproval(column.subject); got != want {
					t.Errorf("SkipsManagerApproval(%s) = %v, want %v", column.name, got, want)
				}
			}
			cells++
		}
	}
	if cells != 16*5 {
		t.Errorf("asserted %d cells, want 80", cells)
	}
	t.Logf("permissions matrix: %d cells asserted (%d assertions)", cells, assertions)
}
