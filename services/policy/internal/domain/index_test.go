package domain

import (
	"strings"
	"testing"
)

func active(id string, rt RequestType, level Level, scope Scope, version int64) Active {
	return Active{
		Policy:  Policy{ID: id, Name: "policy " + id, RequestType: rt, Scope: scope, Level: level, ActiveVersion: version},
		Version: Version{PolicyID: id, Version: version, State: StateActive, Workflow: Workflow{ActionStep: act("Do", Agent)}},
	}
}

func TestIndexResolvesTheMostSpecificLevel(t *testing.T) {
	ix := NewIndex([]Active{
		active("sys", GrantAccess, LevelSystemDefault, Scope{}, 1),
		active("glob", GrantAccess, LevelGlobal, Scope{}, 1),
		active("figma", GrantAccess, LevelApp, Scope{AppID: "figma"}, 2),
		active("figma-admin", GrantAccess, LevelPermission, Scope{AppID: "figma", Permissions: []string{"admin", "owner"}}, 3),
		active("slack-admin", GrantAccess, LevelPermission, Scope{AppID: "slack", Permissions: []string{"admin"}}, 1),
		active("sys-remove", RemoveAccess, LevelSystemDefault, Scope{}, 1),
		active("sys-change", ChangePermission, LevelSystemDefault, Scope{}, 1),
		active("change-figma", ChangePermission, LevelApp, Scope{AppID: "figma"}, 1),
		active("change-slack-admin", ChangePermission, LevelPermission, Scope{AppID: "slack", Permissions: []string{"admin"}}, 1),
	})
	if ix.Len() != 9 {
		t.Fatalf("Len = %d", ix.Len())
	}
	cases := []struct {
		rt          RequestType
		app, perm   string
		wantID      string
		wantLevel   Level
		reasonHints []string
	}{
		{GrantAccess, "figma", "admin", "figma-admin", LevelPermission, []string{"covers permission \"admin\""}},
		{GrantAccess, "figma", "owner", "figma-admin", LevelPermission, nil},
		{GrantAccess, "figma", "viewer", "figma", LevelApp, []string{"no permission-specific policy", "\"viewer\""}},
		{GrantAccess, "figma", "", "figma", LevelApp, nil},
		{GrantAccess, "slack", "admin", "slack-admin", LevelPermission, nil},
		{GrantAccess, "slack", "member", "glob", LevelGlobal, []string{"only permission-specific"}},
		{GrantAccess, "jira", "admin", "glob", LevelGlobal, []string{"jira has no GRANT_ACCESS policy"}},
		{GrantAccess, "", "", "glob", LevelGlobal, nil},
		{RemoveAccess, "figma", "admin", "sys-remove", LevelSystemDefault, []string{"no global policy"}},
		// Changing into a permission is never governed more loosely than being granted it.
		{ChangePermission, "figma", "admin", "figma-admin", LevelPermission, []string{"GRANT_ACCESS policy \"policy figma-admin\"", "never governed more loosely", "\"policy change-figma\", is only APP-level"}},
		{ChangePermission, "slack", "admin", "change-slack-admin", LevelPermission, []string{"\"policy change-slack-admin\""}},
		{ChangePermission, "figma", "viewer", "change-figma", LevelApp, nil},
		{ChangePermission, "jira", "admin", "sys-change", LevelSystemDefault, nil},
	}
	for _, tc := range cases {
		m, ok := ix.Resolve(tc.rt, tc.app, tc.perm)
		if !ok || m.Active.Policy.ID != tc.wantID || m.Level != tc.wantLevel {
			t.Errorf("Resolve(%s, %q, %q) = %+v %v, want %s at %s", tc.rt, tc.app, tc.perm, m, ok, tc.wantID, tc.wantLevel)
			continue
		}
		for _, h := range tc.reasonHints {
			if !strings.Contains(m.Reason, h) {
				t.Errorf("Resolve(%s, %q, %q): reason %q lacks %q", tc.rt, tc.app, tc.perm, m.Reason, h)
			}
		}
	}
	if _, ok := ix.Resolve(AddApp, "", ""); ok {
		t.Error("resolved a request type without any policy")
	}
}

func TestIndexWithLeavesTheOriginalAlone(t *testing.T) {
	figmaAdmin := active("figma-admin", GrantAccess, LevelPermission, Scope{AppID: "figma", Permissions: []string{"admin"}}, 1)
	figma := active("figma", GrantAccess, LevelApp, Scope{AppID: "figma"}, 1)
	ix := NewIndex([]Active{active("sys", GrantAccess, LevelSystemDefault, Scope{}, 1), figmaAdmin, figma})

	v2 := active("figma-admin", GrantAccess, LevelPermission, Scope{AppID: "figma", Permissions: []string{"admin"}}, 2)
	glob := active("glob", GrantAccess, LevelGlobal, Scope{}, 1)
	next := ix.With([]Update{
		{Policy: v2.Policy, Active: &v2},
		{Policy: figma.Policy}, // lost its active version
		{Policy: glob.Policy, Active: &glob},
	})
	if m, _ := next.Resolve(GrantAccess, "figma", "admin"); m.Active.Version.Version != 2 {
		t.Errorf("new index: version %d", m.Active.Version.Version)
	}
	if m, _ := next.Resolve(GrantAccess, "figma", "viewer"); m.Active.Policy.ID != "glob" {
		t.Errorf("new index: %s for viewer", m.Active.Policy.ID)
	}
	if m, _ := ix.Resolve(GrantAccess, "figma", "admin"); m.Active.Version.Version != 1 {
		t.Errorf("old index changed: version %d", m.Active.Version.Version)
	}
	if m, _ := ix.Resolve(GrantAccess, "figma", "viewer"); m.Active.Policy.ID != "figma" {
		t.Errorf("old index changed: %s for viewer", m.Active.Policy.ID)
	}
	if ix.Len() != 3 || next.Len() != 3 {
		t.Errorf("Len: old %d, new %d", ix.Len(), next.Len())
	}
	gone := next.With([]Update{{Policy: v2.Policy}})
	if m, _ := gone.Resolve(GrantAccess, "figma", "admin"); m.Active.Policy.ID != "glob" || gone.Len() != 2 {
		t.Errorf("after removal: %s, Len %d", m.Active.Policy.ID, gone.Len())
	}
}
