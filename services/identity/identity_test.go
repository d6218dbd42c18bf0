package identity_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

var (
	wantCode     = servicetest.WantCode
	wantBadField = servicetest.WantBadField
)

func countUsers(t *testing.T, h *harness) int {
	t.Helper()
	return len(servicetest.Must(h.pub.ListUsers(h.As("admin"), &identityv1.ListUsersRequest{PageSize: 500}))(t, "ListUsers").GetUsers())
}

func TestBadInputIsRefusedNamingTheFieldAndChangesNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		before := countUsers(t, h)
		admin := h.As("admin")
		cases := []struct {
			name  string
			call  func() error
			field string
		}{
			{"bad email", func() error {
				_, err := h.pub.CreateUser(admin, &identityv1.CreateUserRequest{Email: "not-an-email", DisplayName: "X", ManagerId: h.IDs["gm"]})
				return err
			}, "email"},
			{"unknown manager", func() error {
				_, err := h.pub.CreateUser(admin, &identityv1.CreateUserRequest{Email: "x@example.com", DisplayName: "X", ManagerId: "nobody"})
				return err
			}, "manager_id"},
			{"missing manager", func() error {
				_, err := h.pub.CreateUser(admin, &identityv1.CreateUserRequest{Email: "x@example.com", DisplayName: "X"})
				return err
			}, "manager_id"},
			{"second general manager", func() error {
				_, err := h.pub.CreateUser(admin, &identityv1.CreateUserRequest{Email: "gm2@example.com", DisplayName: "GM2", Role: identityv1.Role_GENERAL_MANAGER})
				return err
			}, "role"},
			{"manager cycle", func() error {
				_, err := h.pub.UpdateUser(admin, &identityv1.UpdateUserRequest{Id: h.IDs["mona"], User: &identityv1.User{ManagerId: h.IDs["uma"]}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"manager_id"}}})
				return err
			}, "manager_id"},
			{"own manager", func() error {
				_, err := h.pub.UpdateUser(admin, &identityv1.UpdateUserRequest{Id: h.IDs["uma"], User: &identityv1.User{ManagerId: h.IDs["uma"]}})
				return err
			}, "manager_id"},
			{"duplicate permission name", func() error {
				_, err := h.pub.CreateApp(admin, &identityv1.CreateAppRequest{Name: "Jira", Permissions: []*identityv1.Permission{{Name: "user"}, {Name: "user"}}})
				return err
			}, "permissions[1].name"},
			{"app without permissions", func() error {
				_, err := h.pub.CreateApp(admin, &identityv1.CreateAppRequest{Name: "Jira"})
				return err
			}, "permissions"},
			{"unknown owner", func() error {
				_, err := h.pub.CreateApp(admin, &identityv1.CreateAppRequest{Name: "Jira", OwnerIds: []string{"ghost"}, Permissions: []*identityv1.Permission{{Name: "user"}}})
				return err
			}, "owner_ids"},
			{"unknown group member", func() error {
				_, err := h.pub.CreateGroup(admin, &identityv1.CreateGroupRequest{Name: "SRE", MemberIds: []string{"ghost"}})
				return err
			}, "member_ids"},
			{"bad page token", func() error {
				_, err := h.pub.ListUsers(admin, &identityv1.ListUsersRequest{PageToken: "!!"})
				return err
			}, "page_token"},
			{"page size over 500", func() error {
				_, err := h.pub.ListUsers(admin, &identityv1.ListUsersRequest{PageSize: 501})
				return err
			}, "page_size"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { wantBadField(t, tc.call(), tc.field) })
		}
		if after := countUsers(t, h); after != before {
			t.Fatalf("bad input changed the directory: %d users before, %d after", before, after)
		}
		apps, err := h.pub.ListApps(admin, &identityv1.ListAppsRequest{})
		if err != nil || len(apps.GetApps()) != 2 {
			t.Fatalf("bad input changed the apps: %v %v", apps, err)
		}
		u, err := h.pub.GetUser(admin, &identityv1.GetUserRequest{Id: h.IDs["mona"]})
		if err != nil || u.GetManagerId() != h.IDs["gm"] {
			t.Fatalf("refused cycle still changed mona: %v %v", u, err)
		}
	})
}

func TestTheFirstGeneralManagerAdoptsTheBootstrapAdmin(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.Onboard("gm", "GENERAL_MANAGER", "")
	u, err := h.pub.GetUser(h.As("gm"), &identityv1.GetUserRequest{Id: "bootstrap-admin"})
	if err != nil {
		t.Fatal(err)
	}
	if u.GetManagerId() != h.IDs["gm"] {
		t.Fatalf("bootstrap admin's manager = %q, want the GM", u.GetManagerId())
	}
}

func TestWhoMayDoWhat(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		newUser := func() *identityv1.CreateUserRequest {
			return &identityv1.CreateUserRequest{Email: "new@example.com", DisplayName: "New", ManagerId: h.IDs["mona"]}
		}
		t.Run("a user cannot onboard", func(t *testing.T) {
			_, err := h.pub.CreateUser(h.As("uma"), newUser())
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("a manager cannot onboard", func(t *testing.T) {
			_, err := h.pub.CreateUser(h.As("mona"), newUser())
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("a user cannot mint API keys, even for themselves", func(t *testing.T) {
			_, err := h.pub.CreateApiKey(h.As("uma"), &identityv1.CreateApiKeyRequest{UserId: h.IDs["uma"]})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("a user cannot manage groups but reads them", func(t *testing.T) {
			_, err := h.pub.CreateGroup(h.As("uma"), &identityv1.CreateGroupRequest{Name: "x"})
			wantCode(t, err, codes.PermissionDenied)
			g, err := h.pub.CreateGroup(h.As("admin"), &identityv1.CreateGroupRequest{Name: "reviewers", MemberIds: []string{h.IDs["walt"]}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.pub.GetGroup(h.As("uma"), &identityv1.GetGroupRequest{Id: g.GetId()}); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("a manager edits a direct report, not others", func(t *testing.T) {
			if _, err := h.pub.UpdateUser(h.As("mona"), &identityv1.UpdateUserRequest{Id: h.IDs["uma"], User: &identityv1.User{DisplayName: "Uma B."}}); err != nil {
				t.Fatal(err)
			}
			_, err := h.pub.UpdateUser(h.As("mona"), &identityv1.UpdateUserRequest{Id: h.IDs["walt"], User: &identityv1.User{DisplayName: "W"}})
			wantCode(t, err, codes.NotFound) // walt is not visible to mona
		})
		t.Run("a manager cannot change a report's role", func(t *testing.T) {
			_, err := h.pub.UpdateUser(h.As("mona"), &identityv1.UpdateUserRequest{Id: h.IDs["uma"], User: &identityv1.User{Role: identityv1.Role_ADMIN}})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("a user cannot edit their manager", func(t *testing.T) {
			_, err := h.pub.UpdateUser(h.As("uma"), &identityv1.UpdateUserRequest{Id: h.IDs["mona"], User: &identityv1.User{DisplayName: "M"}})
			wantCode(t, err, codes.PermissionDenied) // visible (her manager), not editable
		})
		t.Run("an owner edits their app, not another", func(t *testing.T) {
			if _, err := h.pub.UpdateApp(h.As("otto"), &identityv1.UpdateAppRequest{Id: h.apps["Figma"], App: &identityv1.App{Name: "Figma Design"}}); err != nil {
				t.Fatal(err)
			}
			_, err := h.pub.UpdateApp(h.As("otto"), &identityv1.UpdateAppRequest{Id: h.apps["Slack"], App: &identityv1.App{Name: "Slack!"}})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("a user cannot register an app", func(t *testing.T) {
			_, err := h.pub.CreateApp(h.As("otto"), &identityv1.CreateAppRequest{Name: "Jira", Permissions: []*identityv1.Permission{{Name: "user"}}})
			wantCode(t, err, codes.PermissionDenied)
		})
		t.Run("a manager offboards a direct report, a user nobody", func(t *testing.T) {
			_, err := h.pub.OffboardUser(h.As("uma"), &identityv1.OffboardUserRequest{Id: h.IDs["mona"]})
			wantCode(t, err, codes.PermissionDenied)
			u, err := h.pub.OffboardUser(h.As("mona"), &identityv1.OffboardUserRequest{Id: h.IDs["ulf"], Reason: "left"})
			if err != nil {
				t.Fatal(err)
			}
			if u.GetStatus() != identityv1.User_OFFBOARDED {
				t.Fatalf("status %v", u.GetStatus())
			}
			// An offboarded user's key no longer works.
			_, err = h.pub.GetMe(h.As("ulf"), &identityv1.GetMeRequest{})
			wantCode(t, err, codes.Unauthenticated)
			_, err = h.pub.OffboardUser(h.As("mona"), &identityv1.OffboardUserRequest{Id: h.IDs["ulf"]})
			wantCode(t, err, codes.FailedPrecondition)
		})
		t.Run("internal calls refuse people's credentials", func(t *testing.T) {
			_, err := h.internal.GetFacts(h.As("admin"), &identityv1.GetFactsRequest{})
			wantCode(t, err, codes.PermissionDenied)
			_, err = h.internal.ApplyAccessChange(h.As("gm"), &identityv1.ApplyAccessChangeRequest{RequestId: "r", Change: identityv1.AccessChange_GRANT, UserId: h.IDs["gm"], AppId: h.apps["Slack"], Permission: "admin"})
			wantCode(t, err, codes.PermissionDenied)
		})
	})
}

func TestOneUserCannotReachAnothersThings(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		h.grant("r1", "walt", "Slack", "member")
		h.grant("r2", "uma", "Figma", "viewer")
		uma := h.As("uma")
		t.Run("another team's user is not found", func(t *testing.T) {
			_, err := h.pub.GetUser(uma, &identityv1.GetUserRequest{Id: h.IDs["walt"]})
			wantCode(t, err, codes.NotFound)
		})
		t.Run("a sibling is not found", func(t *testing.T) {
			_, err := h.pub.GetUser(uma, &identityv1.GetUserRequest{Id: h.IDs["ulf"]})
			wantCode(t, err, codes.NotFound)
			_, err = h.pub.UpdateUser(uma, &identityv1.UpdateUserRequest{Id: h.IDs["ulf"], User: &identityv1.User{DisplayName: "x"}})
			wantCode(t, err, codes.NotFound)
		})
		t.Run("the user list shows only self and manager", func(t *testing.T) {
			res, err := h.pub.ListUsers(uma, &identityv1.ListUsersRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range res.GetUsers() {
				got = append(got, u.GetDisplayName())
			}
			slices.Sort(got)
			if !slices.Equal(got, []string{"mona", "uma"}) {
				t.Fatalf("uma sees %v", got)
			}
		})
		t.Run("another user's accesses are invisible", func(t *testing.T) {
			res, err := h.pub.ListAccesses(uma, &identityv1.ListAccessesRequest{UserId: h.IDs["walt"]})
			if err != nil || len(res.GetAccesses()) != 0 {
				t.Fatalf("uma sees walt's accesses: %v %v", res, err)
			}
		})
		t.Run("another user's API keys cannot be listed or revoked", func(t *testing.T) {
			keys, err := h.pub.ListApiKeys(h.As("admin"), &identityv1.ListApiKeysRequest{UserId: h.IDs["walt"]})
			if err != nil || len(keys.GetApiKeys()) != 1 {
				t.Fatalf("admin lists walt's keys: %v %v", keys, err)
			}
			_, err = h.pub.ListApiKeys(uma, &identityv1.ListApiKeysRequest{UserId: h.IDs["walt"]})
			wantCode(t, err, codes.NotFound)
			_, err = h.pub.RevokeApiKey(uma, &identityv1.RevokeApiKeyRequest{UserId: h.IDs["walt"], Id: keys.GetApiKeys()[0].GetId()})
			wantCode(t, err, codes.NotFound)
			// And walt's key still works.
			if _, err := h.pub.GetMe(h.As("walt"), &identityv1.GetMeRequest{}); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestAccessVisibility(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		h.grant("r1", "uma", "Figma", "viewer")
		h.grant("r2", "ulf", "Slack", "member")
		h.grant("r3", "walt", "Figma", "editor")
		h.grant("r4", "vera", "Slack", "admin")
		sees := func(person string) []string {
			res, err := h.pub.ListAccesses(h.As(person), &identityv1.ListAccessesRequest{})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range res.GetAccesses() {
				for name, id := range h.IDs {
					if id == a.GetUserId() {
						out = append(out, name+"@"+a.GetPermission())
					}
				}
			}
			slices.Sort(out)
			return out
		}
		for person, want := range map[string][]string{
			"uma":   {"uma@viewer"},                                            // own
			"mona":  {"uma@viewer", "ulf@member"},                              // direct reports'
			"otto":  {"uma@viewer", "walt@editor"},                             // own app's (Figma)
			"vera":  {"ulf@member", "vera@admin", "walt@editor"},               // own, report's, own app's (Slack)
			"admin": {"uma@viewer", "ulf@member", "vera@admin", "walt@editor"}, // all
			"walt":  {"walt@editor"},
		} {
			slices.Sort(want)
			if got := sees(person); !slices.Equal(got, want) {
				t.Errorf("%s sees %v, want %v", person, got, want)
			}
		}
	})
}

func TestAPIKeys(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	k, err := h.pub.CreateApiKey(h.As("admin"), &identityv1.CreateApiKeyRequest{UserId: h.IDs["uma"], DisplayName: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.GetSecret()) < 40 || k.GetSecret()[:3] != "gf_" {
		t.Fatalf("key %q is not in the gf_ format", k.GetSecret())
	}
	h.Keys["uma-ci"] = k.GetSecret()
	me, err := h.pub.GetMe(h.As("uma-ci"), &identityv1.GetMeRequest{})
	if err != nil || me.GetUser().GetId() != h.IDs["uma"] {
		t.Fatalf("new key does not authenticate uma: %v %v", me, err)
	}
	keys, err := h.pub.ListApiKeys(h.As("uma"), &identityv1.ListApiKeysRequest{UserId: h.IDs["uma"]})
	if err != nil || len(keys.GetApiKeys()) != 2 {
		t.Fatalf("uma's keys: %v %v", keys, err)
	}
	if _, err := h.pub.RevokeApiKey(h.As("uma"), &identityv1.RevokeApiKeyRequest{UserId: h.IDs["uma"], Id: k.GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err = h.pub.GetMe(h.As("uma-ci"), &identityv1.GetMeRequest{})
	wantCode(t, err, codes.Unauthenticated)
	if _, err := h.pub.GetMe(h.As("uma"), &identityv1.GetMeRequest{}); err != nil {
		t.Fatalf("revoking one key broke the other: %v", err)
	}
	h.Keys["nobody"] = "gf_nothing_here"
	_, err = h.pub.GetMe(h.As("nobody"), &identityv1.GetMeRequest{})
	wantCode(t, err, codes.Unauthenticated)
}

func TestMe(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	for person, want := range map[string][]string{
		"uma":   {"SUBMIT_REQUESTS:self", "APPROVE_REQUESTS:assigned"},
		"mona":  {"OFFBOARD_USER:direct_reports", "EDIT_USER:direct_reports"},
		"otto":  {"EDIT_APP:own_apps", "SET_UP_AUTO_PROVISIONING:own_apps"},
		"admin": {"ONBOARD_USER", "CREATE_CUSTOM_POLICIES", "APPROVE_REQUESTS:any"},
	} {
		me, err := h.pub.GetMe(h.As(person), &identityv1.GetMeRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range want {
			if !slices.Contains(me.GetCapabilities(), c) {
				t.Errorf("%s: capabilities %v lack %s", person, me.GetCapabilities(), c)
			}
		}
		if person == "uma" && slices.Contains(me.GetCapabilities(), "ONBOARD_USER") {
			t.Errorf("uma may onboard? %v", me.GetCapabilities())
		}
	}
	me, _ := h.pub.GetMe(h.As("mona"), &identityv1.GetMeRequest{})
	if !me.GetUser().GetIsManager() {
		t.Error("mona has reports but is not a manager")
	}
	me, _ = h.pub.GetMe(h.As("otto"), &identityv1.GetMeRequest{})
	if !slices.Equal(me.GetOwnedAppIds(), []string{h.apps["Figma"]}) {
		t.Errorf("otto owns %v", me.GetOwnedAppIds())
	}
}

func TestAssigneeResolution(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		h.grant("r1", "vera", "Slack", "admin")
		h.grant("r2", "ulf", "Slack", "member")
		g, err := h.pub.CreateGroup(h.As("admin"), &identityv1.CreateGroupRequest{Name: "sre", MemberIds: []string{h.IDs["uma"], h.IDs["walt"]}})
		if err != nil {
			t.Fatal(err)
		}
		empty, err := h.pub.CreateGroup(h.As("admin"), &identityv1.CreateGroupRequest{Name: "empty"})
		if err != nil {
			t.Fatal(err)
		}
		kind := func(k typev1.AssigneeKind) *typev1.Assignee { return &typev1.Assignee{Kind: k} }
		ids := func(names ...string) []string {
			var out []string
			for _, n := range names {
				out = append(out, h.IDs[n])
			}
			slices.Sort(out)
			return out
		}
		for _, tc := range []struct {
			name     string
			spec     *typev1.Assignee
			target   string
			app      string
			exclude  []string
			want     []string
			fellBack bool
		}{
			{"manager of the target", kind(typev1.AssigneeKind_MANAGER), "uma", "Figma", nil, ids("mona"), false},
			{"app owners", kind(typev1.AssigneeKind_APP_OWNER), "uma", "Figma", nil, ids("otto"), false},
			{"privileged users", kind(typev1.AssigneeKind_PRIVILEGED_USERS), "uma", "Slack", nil, ids("vera"), false},
			{"custom role", &typev1.Assignee{Kind: typev1.AssigneeKind_CUSTOM_ROLE, CustomRole: "security"}, "uma", "Slack", nil, ids("walt"), false},
			{"groups", &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{g.GetId()}}, "uma", "Slack", nil, ids("uma", "walt"), false},
			{"users", &typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: []string{h.IDs["otto"], h.IDs["vera"]}}, "uma", "", nil, ids("otto", "vera"), false},
			{"admins", kind(typev1.AssigneeKind_ADMINS), "uma", "", nil, ids("admin", "bootstrap"), false},
			{"an empty group falls back to the admins", &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{empty.GetId()}}, "uma", "", nil, ids("admin", "bootstrap"), true},
			{"an unknown custom role falls back", &typev1.Assignee{Kind: typev1.AssigneeKind_CUSTOM_ROLE, CustomRole: "nope"}, "uma", "Figma", nil, ids("admin", "bootstrap"), true},
			{"the excluded target is left out", &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{g.GetId()}}, "uma", "", ids("uma"), ids("walt"), false},
			{"an owner requesting their own app falls back", kind(typev1.AssigneeKind_APP_OWNER), "otto", "Figma", ids("otto"), ids("admin", "bootstrap"), true},
			{"the GM's manager step has nobody: admins", kind(typev1.AssigneeKind_MANAGER), "gm", "", ids("gm"), ids("admin", "bootstrap"), true},
			{"with every admin excluded the GM remains", kind(typev1.AssigneeKind_ADMINS), "admin", "", ids("admin", "bootstrap"), ids("gm"), true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, err := h.internal.ResolveAssignees(h.system(), &identityv1.ResolveAssigneesRequest{Assignee: tc.spec, TargetUserId: h.IDs[tc.target], AppId: h.apps[tc.app], ExcludeUserIds: tc.exclude})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(res.GetUserIds(), tc.want) || res.GetFellBackToAdmins() != tc.fellBack || res.GetExplanation() == "" {
					t.Fatalf("got %v fellBack=%v (%q), want %v fellBack=%v", res.GetUserIds(), res.GetFellBackToAdmins(), res.GetExplanation(), tc.want, tc.fellBack)
				}
			})
		}
		res, err := h.internal.ResolveAssignees(h.system(), &identityv1.ResolveAssigneesRequest{Assignee: kind(typev1.AssigneeKind_AGENT)})
		if err != nil || !res.GetAgent() || len(res.GetUserIds()) != 0 {
			t.Fatalf("agent: %v %v", res, err)
		}
		// An offboarded manager resolves to nobody, so the step falls back.
		if _, err := h.pub.OffboardUser(h.As("admin"), &identityv1.OffboardUserRequest{Id: h.IDs["mona"]}); err != nil {
			t.Fatal(err)
		}
		res, err = h.internal.ResolveAssignees(h.system(), &identityv1.ResolveAssigneesRequest{Assignee: kind(typev1.AssigneeKind_MANAGER), TargetUserId: h.IDs["uma"]})
		if err != nil || !res.GetFellBackToAdmins() {
			t.Fatalf("offboarded manager still resolved: %v %v", res, err)
		}
	})
}

func TestApplyAccessChange(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		apply := func(req string, c identityv1.AccessChange, person, app, perm string) (*identityv1.ApplyAccessChangeResponse, error) {
			return h.internal.ApplyAccessChange(h.system(), &identityv1.ApplyAccessChangeRequest{RequestId: req, Change: c, UserId: h.IDs[person], AppId: h.apps[app], Permission: perm})
		}
		if _, err := apply("g1", identityv1.AccessChange_GRANT, "uma", "Figma", "viewer"); err != nil {
			t.Fatal(err)
		}
		// The same request again is a no-op that answers the same.
		again, err := apply("g1", identityv1.AccessChange_GRANT, "uma", "Figma", "viewer")
		if err != nil || again.GetAccess().GetPermission() != "viewer" {
			t.Fatalf("replay: %v %v", again, err)
		}
		_, err = apply("g2", identityv1.AccessChange_GRANT, "uma", "Figma", "editor")
		wantCode(t, err, codes.FailedPrecondition)
		_, err = apply("g3", identityv1.AccessChange_GRANT, "uma", "Figma", "owner")
		wantBadField(t, err, "permission")
		if res, err := apply("c1", identityv1.AccessChange_CHANGE, "uma", "Figma", "editor"); err != nil || res.GetAccess().GetPermission() != "editor" {
			t.Fatalf("change: %v %v", res, err)
		}
		_, err = apply("c2", identityv1.AccessChange_CHANGE, "ulf", "Figma", "editor")
		wantCode(t, err, codes.FailedPrecondition)
		if _, err := apply("x1", identityv1.AccessChange_REMOVE, "uma", "Figma", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := apply("x1", identityv1.AccessChange_REMOVE, "uma", "Figma", ""); err != nil {
			t.Fatalf("replayed removal: %v", err)
		}
		res, err := h.pub.ListAccesses(h.As("admin"), &identityv1.ListAccessesRequest{UserId: h.IDs["uma"]})
		if err != nil || len(res.GetAccesses()) != 0 {
			t.Fatalf("access left after removal: %v %v", res, err)
		}
		// Removing a permission level somebody holds is refused.
		h.grant("g9", "walt", "Figma", "admin")
		_, err = h.pub.UpdateApp(h.As("otto"), &identityv1.UpdateAppRequest{Id: h.apps["Figma"], App: &identityv1.App{Permissions: []*identityv1.Permission{{Name: "viewer"}}}})
		wantCode(t, err, codes.FailedPrecondition)
		// Archive is idempotent per request.
		if _, err := h.internal.ArchiveApp(h.system(), &identityv1.ArchiveAppRequest{RequestId: "a1", AppId: h.apps["Slack"]}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.internal.ArchiveApp(h.system(), &identityv1.ArchiveAppRequest{RequestId: "a1", AppId: h.apps["Slack"]}); err != nil {
			t.Fatalf("replayed archive: %v", err)
		}
		_, err = apply("g10", identityv1.AccessChange_GRANT, "uma", "Slack", "member")
		wantCode(t, err, codes.FailedPrecondition)
		// Add app is idempotent per request.
		a1, err := h.internal.AddApp(h.system(), &identityv1.AddAppRequest{RequestId: "n1", Name: "Notion", OwnerIds: []string{h.IDs["otto"]}, Permissions: []*identityv1.Permission{{Name: "member"}}})
		if err != nil {
			t.Fatal(err)
		}
		a2, err := h.internal.AddApp(h.system(), &identityv1.AddAppRequest{RequestId: "n1", Name: "Notion", OwnerIds: []string{h.IDs["otto"]}, Permissions: []*identityv1.Permission{{Name: "member"}}})
		if err != nil || a2.GetApp().GetId() != a1.GetApp().GetId() {
			t.Fatalf("replayed add app: %v %v", a2, err)
		}
	})
}

func TestEtagRefusesStaleWrites(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	u, err := h.pub.GetUser(h.As("admin"), &identityv1.GetUserRequest{Id: h.IDs["uma"]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.pub.UpdateUser(h.As("admin"), &identityv1.UpdateUserRequest{Id: u.GetId(), User: &identityv1.User{DisplayName: "Uma 2", Etag: u.GetEtag()}}); err != nil {
		t.Fatal(err)
	}
	_, err = h.pub.UpdateUser(h.As("admin"), &identityv1.UpdateUserRequest{Id: u.GetId(), User: &identityv1.User{DisplayName: "Uma 3", Etag: u.GetEtag()}})
	wantCode(t, err, codes.Aborted)
}

func TestPaging(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	var all []string
	for _, u := range servicetest.AllPages(t, func(token string) ([]*identityv1.User, string, error) {
		res, err := h.pub.ListUsers(h.As("admin"), &identityv1.ListUsersRequest{PageSize: 3, PageToken: token})
		return res.GetUsers(), res.GetNextPageToken(), err
	}) {
		all = append(all, u.GetId())
	}
	if len(all) != 9 || !slices.IsSorted(all) {
		t.Fatalf("paged %d users (sorted=%v), want 9 in order", len(all), slices.IsSorted(all))
	}
}

// TestConcurrentWritesLoseWithAborted: writers racing on one group either win or get
// ABORTED (retryable, 409), never INTERNAL; the group ends as one of the winners wrote it.
func TestConcurrentWritesLoseWithAborted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		g, err := h.pub.CreateGroup(h.As("admin"), &identityv1.CreateGroupRequest{Name: "racers"})
		if err != nil {
			t.Fatal(err)
		}
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = h.pub.UpdateGroup(h.As("admin"), &identityv1.UpdateGroupRequest{Id: g.GetId(),
					Group: &identityv1.Group{Description: fmt.Sprintf("writer %d", i)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"description"}}})
			})
		}
		wg.Wait()
		won, lost := 0, 0
		for i, err := range errs {
			switch status.Code(err) {
			case codes.OK:
				won++
			case codes.Aborted:
				lost++
			default:
				t.Errorf("writer %d: %v, want OK or ABORTED", i, err)
			}
		}
		if won == 0 {
			t.Error("no writer won")
		}
		t.Logf("%d writers: %d won, %d ABORTED", n, won, lost)
	})
}

// TestWhoMayChangeEmailsAndManagers: a manager edits a report's name, not the email (OIDC
// sign-in finds users by it) nor the manager line (that hands the report to someone
// else); an Admin may, except the General Manager's email, which only the GM changes.
func TestWhoMayChangeEmailsAndManagers(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.seedOrg()
	patch := func(as, who string, u *identityv1.User, paths ...string) error {
		_, err := h.pub.UpdateUser(h.As(as), &identityv1.UpdateUserRequest{Id: h.IDs[who], User: u, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
		return err
	}
	if err := patch("mona", "uma", &identityv1.User{DisplayName: "Uma C."}, "display_name"); err != nil {
		t.Errorf("a manager renames a report: %v", err)
	}
	wantCode(t, patch("mona", "uma", &identityv1.User{Email: "mine@example.com"}, "email"), codes.PermissionDenied)
	wantCode(t, patch("mona", "uma", &identityv1.User{ManagerId: h.IDs["vera"]}, "manager_id"), codes.PermissionDenied)
	wantCode(t, patch("admin", "gm", &identityv1.User{Email: "admin-owns-gm@example.com"}, "email"), codes.PermissionDenied)
	if err := patch("admin", "uma", &identityv1.User{Email: "uma.chen@example.com"}, "email"); err != nil {
		t.Errorf("an admin changes an email: %v", err)
	}
	if err := patch("admin", "uma", &identityv1.User{ManagerId: h.IDs["vera"]}, "manager_id"); err != nil {
		t.Errorf("an admin moves a user: %v", err)
	}
	if err := patch("gm", "gm", &identityv1.User{Email: "gm2@example.com"}, "email"); err != nil {
		t.Errorf("the GM changes her own email: %v", err)
	}
}
