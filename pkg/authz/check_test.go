package authz

import (
	"slices"
	"testing"
)

// Inherited roles are additive: a User who manages people, owns an app and is assigned
// in a policy holds each right in its own context, and none outside it.
func TestCheckInheritedRolesAreAdditive(t *testing.T) {
	both := Subject{UserID: mia, Role: RoleUser, Active: true, IsManager: true, OwnedAppIDs: []string{crm}}
	ownedByMia := Resource{TargetUserID: sam, TargetManagerID: otto, AppID: crm, AppOwnerIDs: []string{mia}}
	tests := []struct {
		name       string
		c          Capability
		r          Resource
		want       bool
		wantReason string
	}{
		{"approve for a report", ApproveRequests, reportScenario.of(mia), true, "manager: only direct reports"},
		{"approve on own app", ApproveRequests, ownedByMia, true, "app owner: only own apps"},
		{"approve when assigned", ApproveRequests, assignedScenario.of(mia), true, "user: only when assigned in policy"},
		{"approve foreign", ApproveRequests, foreignScenario.of(mia), false,
			"user: only when assigned in policy; manager: only direct reports; app owner: only own apps"},
		{"offboard a report", OffboardUser, reportScenario.of(mia), true, "manager: only direct reports"},
		{"offboard on own app is not an owner right", OffboardUser, ownedByMia, false, "manager: only direct reports"},
		{"edit own app", EditApp, ownedByMia, true, "app owner: only own apps"},
		{"edit a report's app is not a manager right", EditApp, reportScenario.of(mia), false, "app owner: only own apps"},
		{"manage access of a report", ManageAppAccess, reportScenario.of(mia), true, "manager: only direct reports"},
		{"manage access on own app", ManageAppAccess, ownedByMia, true, "app owner: only own apps"},
		{"auto provisioning on own app", SetUpAutoProvisioning, ownedByMia, true, "app owner: only own apps"},
		{"auto provisioning for a report", SetUpAutoProvisioning, reportScenario.of(mia), false, "app owner: only own apps"},
		{"submit for self", SubmitRequests, selfScenario.of(mia), true, "user: only for self"},
		{"submit with no target", SubmitRequests, Resource{AppID: wiki}, true, "user: only for self"},
		{"submit for a report", SubmitRequests, reportScenario.of(mia), true, "manager: only direct reports"},
		{"submit for an owned app's user", SubmitRequests, ownedByMia, false, "user: only for self; manager: only direct reports"},
		{"onboard", OnboardUser, reportScenario.of(mia), false, "user: not permitted"},
		{"browser extension", UseBrowserExtension, foreignScenario.of(mia), true, "user: any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Check(both, tt.c, tt.r)
			if d.Allowed != tt.want || d.Reason != tt.wantReason {
				t.Errorf("Check(%v) = %+v, want {Allowed:%v Reason:%q}", tt.c, d, tt.want, tt.wantReason)
			}
		})
	}
}

// Manager and App Owner rights come from the resource's facts, not from the subject's
// flags: a stale IsManager or OwnedAppIDs grants nothing.
func TestCheckDecidesFromResourceFacts(t *testing.T) {
	claims := Subject{UserID: uma, Role: RoleUser, Active: true, IsManager: true, OwnedAppIDs: []string{wiki}}
	for _, c := range AllCapabilities() {
		if c == SubmitRequests || c == UseBrowserExtension {
			continue
		}
		if d := Check(claims, c, foreignScenario.of(uma)); d.Allowed {
			t.Errorf("%v: allowed on flags alone (%s)", c, d.Reason)
		}
	}
}

// Relations never match an empty id: a resource with no manager or an empty owner
// entry grants nothing to anyone.
func TestCheckEmptyRelationsGrantNothing(t *testing.T) {
	r := Resource{TargetUserID: sam, AppOwnerIDs: []string{""}, AssignedUserIDs: []string{""}}
	for _, c := range AllCapabilities() {
		if c == UseBrowserExtension {
			continue
		}
		if d := Check(plainUser, c, r); d.Allowed {
			t.Errorf("%v: allowed by an empty relation (%s)", c, d.Reason)
		}
	}
}

func TestCheckRefusesInvalidSubjects(t *testing.T) {
	subjects := []Subject{plainUser, manager, appOwner, admin, generalMgr}
	for _, s := range subjects {
		inactive := s
		inactive.Active = false
		for _, c := range AllCapabilities() {
			for _, sc := range allScenarios {
				if d := Check(inactive, c, sc.of(s.UserID)); d.Allowed || d.Reason != reasonInactive {
					t.Errorf("inactive %s, %v on %s: %+v", s.UserID, c, sc.name, d)
				}
			}
		}
		if SkipsManagerApproval(inactive) {
			t.Errorf("inactive %s skips manager approval", s.UserID)
		}
	}
	noID := Subject{Role: RoleAdmin, Active: true}
	if d := Check(noID, OnboardUser, Resource{}); d.Allowed || d.Reason != reasonNoUserID {
		t.Errorf("subject without id: %+v", d)
	}
	for _, role := range []Role{0, -1, RoleGeneralManager + 1} {
		s := Subject{UserID: ada, Role: role, Active: true}
		if d := Check(s, UseBrowserExtension, Resource{}); d.Allowed || d.Reason != reasonUnknownRole {
			t.Errorf("role %v: %+v", role, d)
		}
	}
	for _, c := range []Capability{0, -1, CreateAPIKeysAndWebhooks + 1} {
		if d := Check(generalMgr, c, Resource{}); d.Allowed || d.Reason != reasonUnknownCapability {
			t.Errorf("capability %v: %+v", c, d)
		}
	}
}

func TestNames(t *testing.T) {
	want := []string{
		"SUBMIT_REQUESTS", "APPROVE_REQUESTS", "ONBOARD_USER", "OFFBOARD_USER", "EDIT_USER",
		"MANAGE_USER_GROUPS", "EDIT_APP", "MANAGE_APP_ACCESS", "CREATE_ACCESS_REVIEWS",
		"COMPLETE_ACCESS_REVIEWS", "USE_BROWSER_EXTENSION", "INTEGRATE_HRIS_IDP",
		"SET_UP_AUTO_PROVISIONING", "CREATE_CUSTOM_POLICIES", "CREATE_CUSTOM_LAYOUTS",
		"CREATE_API_KEYS_AND_WEBHOOKS",
	}
	var got []string
	for _, c := range AllCapabilities() {
		got = append(got, c.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("capability names:\n got %q\nwant %q", got, want)
	}
	if s := Capability(0).String(); s != "CAPABILITY(0)" {
		t.Errorf("Capability(0) = %q", s)
	}
	for _, r := range []Role{RoleUser, RoleAdmin, RoleGeneralManager} {
		if p, ok := ParseRole(r.String()); !ok || p != r {
			t.Errorf("ParseRole(%q) = %v, %v", r.String(), p, ok)
		}
	}
	if _, ok := ParseRole("MANAGER"); ok {
		t.Error(`ParseRole("MANAGER") succeeded: Manager is inherited, not designated`)
	}
	if s := Role(0).String(); s != "ROLE(0)" {
		t.Errorf("Role(0) = %q", s)
	}
}
