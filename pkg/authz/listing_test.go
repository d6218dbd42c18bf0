package authz

import (
	"slices"
	"strings"
	"testing"
)

var adminCapabilities = []string{
	"SUBMIT_REQUESTS:any", "APPROVE_REQUESTS:any", "ONBOARD_USER", "OFFBOARD_USER:any",
	"EDIT_USER:any", "MANAGE_USER_GROUPS", "EDIT_APP:any", "MANAGE_APP_ACCESS:any",
	"CREATE_ACCESS_REVIEWS", "COMPLETE_ACCESS_REVIEWS:any", "USE_BROWSER_EXTENSION",
	"INTEGRATE_HRIS_IDP", "SET_UP_AUTO_PROVISIONING:any", "CREATE_CUSTOM_POLICIES",
	"CREATE_CUSTOM_LAYOUTS", "CREATE_API_KEYS_AND_WEBHOOKS",
}

func TestCapabilities(t *testing.T) {
	tests := []struct {
		name string
		s    Subject
		want []string
	}{
		{"user", plainUser, []string{
			"SUBMIT_REQUESTS:self", "APPROVE_REQUESTS:assigned", "USE_BROWSER_EXTENSION",
		}},
		{"manager", manager, []string{
			"SUBMIT_REQUESTS:self", "SUBMIT_REQUESTS:direct_reports",
			"APPROVE_REQUESTS:assigned", "APPROVE_REQUESTS:direct_reports",
			"OFFBOARD_USER:direct_reports", "EDIT_USER:direct_reports",
			"MANAGE_APP_ACCESS:direct_reports", "COMPLETE_ACCESS_REVIEWS:direct_reports",
			"USE_BROWSER_EXTENSION",
		}},
		{"app owner", appOwner, []string{
			"SUBMIT_REQUESTS:self", "APPROVE_REQUESTS:assigned", "APPROVE_REQUESTS:own_apps",
			"EDIT_APP:own_apps", "MANAGE_APP_ACCESS:own_apps", "COMPLETE_ACCESS_REVIEWS:own_apps",
			"USE_BROWSER_EXTENSION", "SET_UP_AUTO_PROVISIONING:own_apps",
		}},
		{"manager and app owner", Subject{UserID: mia, Role: RoleUser, Active: true, IsManager: true, OwnedAppIDs: []string{crm}}, []string{
			"SUBMIT_REQUESTS:self", "SUBMIT_REQUESTS:direct_reports",
			"APPROVE_REQUESTS:assigned", "APPROVE_REQUESTS:direct_reports", "APPROVE_REQUESTS:own_apps",
			"OFFBOARD_USER:direct_reports", "EDIT_USER:direct_reports", "EDIT_APP:own_apps",
			"MANAGE_APP_ACCESS:direct_reports", "MANAGE_APP_ACCESS:own_apps",
			"COMPLETE_ACCESS_REVIEWS:direct_reports", "COMPLETE_ACCESS_REVIEWS:own_apps",
			"USE_BROWSER_EXTENSION", "SET_UP_AUTO_PROVISIONING:own_apps",
		}},
		{"admin", admin, adminCapabilities},
		{"admin who owns apps and manages people", Subject{UserID: ada, Role: RoleAdmin, Active: true, IsManager: true, OwnedAppIDs: []string{crm}}, adminCapabilities},
		{"general manager", generalMgr, adminCapabilities},
		{"inactive", Subject{UserID: ada, Role: RoleAdmin}, []string{}},
		{"unknown role", Subject{UserID: ada, Active: true}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Capabilities(tt.s)
			if got == nil {
				t.Fatal("nil list; want an empty one so that JSON shows []")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Capabilities:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// The list is the same on every call, whatever the order or number of owned apps.
func TestCapabilitiesStable(t *testing.T) {
	one := Subject{UserID: mia, Role: RoleUser, Active: true, IsManager: true, OwnedAppIDs: []string{crm}}
	many := one
	many.OwnedAppIDs = []string{wiki, crm, "erp"}
	first := Capabilities(one)
	for range 100 {
		if got := Capabilities(one); !slices.Equal(got, first) {
			t.Fatalf("changed between calls:\n got %q\nwant %q", got, first)
		}
	}
	if got := Capabilities(many); !slices.Equal(got, first) {
		t.Errorf("depends on the owned apps:\n got %q\nwant %q", got, first)
	}
	if !slices.IsSortedFunc(first, func(a, b string) int { return rowOf(t, a) - rowOf(t, b) }) {
		t.Errorf("not in matrix order: %q", first)
	}
}

// rowOf is the matrix row of a listed entry.
func rowOf(t *testing.T, entry string) int {
	t.Helper()
	name, _, _ := strings.Cut(entry, ":")
	for _, c := range AllCapabilities() {
		if c.String() == name {
			return int(c)
		}
	}
	t.Fatalf("unknown capability in %q", entry)
	return 0
}

// Every listed entry is a right Check grants in the context its qualifier names, and
// every capability Check grants in some context is listed.
func TestCapabilitiesAgreeWithCheck(t *testing.T) {
	contextOf := map[string]scenario{
		"self": selfScenario, "assigned": assignedScenario, "direct_reports": reportScenario,
		"own_apps": ownAppScenario, "any": foreignScenario,
	}
	for _, col := range matrixColumns {
		s := col.subject
		listed := map[string]bool{}
		for _, entry := range Capabilities(s) {
			name, q, qualified := strings.Cut(entry, ":")
			listed[name] = true
			c := Capability(rowOf(t, entry))
			sc := foreignScenario
			if qualified {
				sc = contextOf[q]
			}
			if d := Check(s, c, sc.of(s.UserID)); !d.Allowed {
				t.Errorf("%s lists %q but Check denies on %s: %s", col.name, entry, sc.name, d.Reason)
			}
		}
		for _, c := range AllCapabilities() {
			granted := false
			for _, sc := range allScenarios {
				granted = granted || Check(s, c, sc.of(s.UserID)).Allowed
			}
			if granted != listed[c.String()] {
				t.Errorf("%s: %v granted somewhere=%v, listed=%v", col.name, c, granted, listed[c.String()])
			}
		}
	}
}
