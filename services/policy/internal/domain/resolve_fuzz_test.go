package domain

import (
	"fmt"
	"slices"
	"testing"
)

// fuzzPolicies decodes raw into active policies with distinct scopes (overlapping active
// scopes are refused by the service before they reach an index): 3 bytes each, request
// type, level and app, and for a permission-specific policy a 4th byte of permission bits.
func fuzzPolicies(raw []byte) []Active {
	var out []Active
	taken := map[string]bool{}
	for i := 0; i+3 <= len(raw) && len(out) < 64; i += 3 {
		rt := RequestTypes[int(raw[i])%len(RequestTypes)]
		level := []Level{LevelSystemDefault, LevelGlobal, LevelApp, LevelPermission}[int(raw[i+1])%4]
		p := Policy{ID: fmt.Sprintf("p%d", len(out)), Name: fmt.Sprintf("policy %d", len(out)), RequestType: rt, Level: level, ActiveVersion: 1}
		if level == LevelApp || level == LevelPermission {
			p.Scope.AppID = fmt.Sprintf("app%d", raw[i+2]%3)
		}
		if level == LevelPermission {
			bits := raw[i+2] >> 2
			for b := range 4 {
				if bits&(1<<b) != 0 {
					p.Scope.Permissions = append(p.Scope.Permissions, fmt.Sprintf("perm%d", b))
				}
			}
			if len(p.Scope.Permissions) == 0 {
				p.Scope.Permissions = []string{"perm0"}
			}
		}
		keys := []string{fmt.Sprint(rt, level, p.Scope.AppID)}
		if level == LevelPermission {
			keys = keys[:0]
			for _, perm := range p.Scope.Permissions {
				keys = append(keys, fmt.Sprint(rt, level, p.Scope.AppID, perm))
			}
		}
		if slices.ContainsFunc(keys, func(k string) bool { return taken[k] }) {
			continue
		}
		for _, k := range keys {
			taken[k] = true
		}
		out = append(out, Active{Policy: p, Version: Version{PolicyID: p.ID, Version: 1}})
	}
	return out
}

// resolveByScan is resolution restated as a scan over every policy: the most specific
// level whose scope covers the request wins; for CHANGE_PERMISSION into P, a
// GRANT_ACCESS policy of the app covering P wins over anything less specific.
func resolveByScan(all []Active, rt RequestType, appID, permission string) (string, Level) {
	id, level := resolveByScanOf(all, rt, appID, permission)
	if rt == ChangePermission && level != LevelPermission {
		if gid, glevel := resolveByScanOf(all, GrantAccess, appID, permission); glevel == LevelPermission {
			return gid, glevel
		}
	}
	return id, level
}

func resolveByScanOf(all []Active, rt RequestType, appID, permission string) (string, Level) {
	for _, level := range []Level{LevelPermission, LevelApp, LevelGlobal, LevelSystemDefault} {
		for _, a := range all {
			p := a.Policy
			if p.RequestType != rt || p.Level != level {
				continue
			}
			switch level {
			case LevelPermission:
				if appID == "" || p.Scope.AppID != appID || permission == "" || !slices.Contains(p.Scope.Permissions, permission) {
					continue
				}
			case LevelApp:
				if appID == "" || p.Scope.AppID != appID {
					continue
				}
			}
			return p.ID, level
		}
	}
	return "", ""
}

// FuzzResolve checks the index against the scan for every request type, app and
// permission, for an index built at once and for one built by With from a part of the
// policies plus the rest (and a removal): incremental updates must equal a rebuild. The
// committed seed corpus is under testdata/fuzz/FuzzResolve.
func FuzzResolve(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 1, 0, 1, 2, 1, 1, 3, 5}, uint8(2))
	f.Add([]byte{1, 3, 4, 1, 3, 8, 1, 2, 0, 1, 1, 0, 1, 0, 0}, uint8(1))
	f.Add([]byte{2, 3, 255, 2, 2, 2, 2, 1, 9, 2, 0, 0, 3, 3, 3}, uint8(4))
	f.Fuzz(func(t *testing.T, raw []byte, split uint8) {
		all := fuzzPolicies(raw)
		cut := 0
		if len(all) > 0 {
			cut = int(split) % (len(all) + 1)
		}
		built := NewIndex(all)
		// Incremental: the first part, then the rest added, plus one policy removed and
		// added back (a retire then an activation).
		inc := NewIndex(all[:cut])
		var ups []Update
		for i := cut; i < len(all); i++ {
			a := all[i]
			ups = append(ups, Update{Policy: a.Policy, Active: &a})
		}
		inc = inc.With(ups)
		if len(all) > 0 {
			victim := all[int(split)%len(all)]
			without := inc.With([]Update{{Policy: victim.Policy}})
			if without.Len() != len(all)-1 {
				t.Fatalf("removing one policy: %d left of %d", without.Len(), len(all))
			}
			inc = without.With([]Update{{Policy: victim.Policy, Active: &victim}})
		}
		if built.Len() != len(all) || inc.Len() != len(all) {
			t.Fatalf("sizes: built %d, incremental %d, policies %d", built.Len(), inc.Len(), len(all))
		}
		for _, rt := range RequestTypes {
			for _, app := range []string{"", "app0", "app1", "app2"} {
				for _, perm := range []string{"", "perm0", "perm1", "perm2", "perm3"} {
					wantID, wantLevel := resolveByScan(all, rt, app, perm)
					for name, ix := range map[string]*Index{"built": built, "incremental": inc} {
						m, ok := ix.Resolve(rt, app, perm)
						gotID := ""
						if ok {
							gotID = m.Active.Policy.ID
						}
						if ok != (wantID != "") || gotID != wantID || (ok && m.Level != wantLevel) {
							t.Fatalf("%s index: Resolve(%s, %q, %q) = %s %s, want %s %s", name, rt, app, perm, gotID, m.Level, wantID, wantLevel)
						}
						if ok && m.Reason == "" {
							t.Fatalf("%s index: no reason for %s", name, gotID)
						}
					}
				}
			}
		}
	})
}
