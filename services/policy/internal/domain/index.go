package domain

import (
	"fmt"
	"maps"
)

// Index holds the active version of every policy, arranged for resolution: a request
// type, an app and a permission find their policy in three map lookups at most. An Index
// is immutable once built: With returns a new one that shares what did not change, so
// readers never lock.
type Index struct {
	system map[RequestType]*Active
	global map[RequestType]*Active
	apps   map[appKey]*appEntry
	size   int
}

type appKey struct {
	rt    RequestType
	appID string
}

// appEntry holds an app's policies of one request type. It is copied, never changed, once
// it belongs to an Index.
type appEntry struct {
	app   *Active
	perms map[string]*Active
}

// NewIndex builds an index of actives (policies with their active versions).
func NewIndex(actives []Active) *Index {
	ix := &Index{system: map[RequestType]*Active{}, global: map[RequestType]*Active{}, apps: make(map[appKey]*appEntry, len(actives)/4)}
	for i := range actives {
		ix.put(&actives[i])
	}
	return ix
}

// Update is the state of one policy after a change: Active nil means it has no active
// version any more.
type Update struct {
	Policy Policy
	Active *Active
}

// With returns an index with updates applied (each replacing whatever its policy had in
// the index). ix is left as it was.
func (ix *Index) With(updates []Update) *Index {
	next := &Index{system: maps.Clone(ix.system), global: maps.Clone(ix.global), apps: maps.Clone(ix.apps), size: ix.size}
	copied := map[appKey]bool{}
	for _, u := range updates {
		p := u.Policy
		if p.Scope.AppID != "" && (p.Level == LevelApp || p.Level == LevelPermission) {
			k := appKey{p.RequestType, p.Scope.AppID}
			if !copied[k] {
				copied[k] = true
				if e := next.apps[k]; e != nil {
					next.apps[k] = &appEntry{app: e.app, perms: maps.Clone(e.perms)}
				}
			}
		}
		next.remove(p)
		if u.Active != nil {
			a := *u.Active
			next.put(&a)
		}
	}
	return next
}

// Len reports how many active policies the index holds.
func (ix *Index) Len() int { return ix.size }

// put adds a. An app entry it changes is one of ix's own: made by NewIndex, or copied
// by With before its first change.
func (ix *Index) put(a *Active) {
	p := a.Policy
	ix.size++
	switch p.Level {
	case LevelSystemDefault:
		ix.system[p.RequestType] = a
	case LevelGlobal:
		ix.global[p.RequestType] = a
	case LevelApp, LevelPermission:
		k := appKey{p.RequestType, p.Scope.AppID}
		e := ix.apps[k]
		if e == nil {
			e = &appEntry{}
			ix.apps[k] = e
		}
		if p.Level == LevelApp {
			e.app = a
			return
		}
		if e.perms == nil {
			e.perms = make(map[string]*Active, len(p.Scope.Permissions))
		}
		for _, perm := range p.Scope.Permissions {
			e.perms[perm] = a
		}
	default:
		ix.size--
	}
}

// remove drops whatever policy p.ID has in the index (its scope never changes).
func (ix *Index) remove(p Policy) {
	drop := func(a *Active) bool {
		if a != nil && a.Policy.ID == p.ID {
			ix.size--
			return true
		}
		return false
	}
	switch p.Level {
	case LevelSystemDefault:
		if drop(ix.system[p.RequestType]) {
			delete(ix.system, p.RequestType)
		}
	case LevelGlobal:
		if drop(ix.global[p.RequestType]) {
			delete(ix.global, p.RequestType)
		}
	case LevelApp, LevelPermission:
		k := appKey{p.RequestType, p.Scope.AppID}
		e := ix.apps[k]
		if e == nil {
			return
		}
		if p.Level == LevelApp {
			if drop(e.app) {
				e.app = nil
			}
		} else {
			counted := false
			for _, perm := range p.Scope.Permissions {
				if a := e.perms[perm]; a != nil && a.Policy.ID == p.ID {
					if !counted {
						drop(a)
						counted = true
					}
					delete(e.perms, perm)
				}
			}
		}
		if e.app == nil && len(e.perms) == 0 {
			delete(ix.apps, k)
		}
	}
}

// Match is the answer of resolution: the governing policy and version, the level that
// matched, and why, in words.
type Match struct {
	Active *Active
	Level  Level
	Reason string
}

// Resolve finds the most specific active policy for a request: PERMISSION (a
// permission-specific policy of the app that lists the permission), else APP (the app's
// default), else GLOBAL (the administrators' global policy), else SYSTEM_DEFAULT. An
// empty appID or permission skips the levels that need it. ok is false only when not even
// a system default is active for rt.
//
// Changing into a permission is never governed more loosely than being granted it: for
// CHANGE_PERMISSION into a permission that a GRANT_ACCESS policy of the app covers
// specifically, that policy governs unless a CHANGE_PERMISSION policy of the same
// (permission) level does.
func (ix *Index) Resolve(rt RequestType, appID, permission string) (m Match, ok bool) {
	m, ok = ix.resolve(rt, appID, permission)
	if rt != ChangePermission || appID == "" || permission == "" || (ok && m.Level == LevelPermission) {
		return m, ok
	}
	e := ix.apps[appKey{GrantAccess, appID}]
	if e == nil {
		return m, ok
	}
	a := e.perms[permission]
	if a == nil {
		return m, ok
	}
	r := fmt.Sprintf("permission-specific %s policy %q of app %s covers permission %q, and changing into a permission is never governed more loosely than being granted it",
		GrantAccess, a.Policy.Name, appID, permission)
	if ok {
		r += fmt.Sprintf(" (the %s policy that would resolve, %q, is only %s-level)", ChangePermission, m.Active.Policy.Name, m.Level)
	}
	return Match{Active: a, Level: LevelPermission, Reason: r}, true
}

// resolve is resolution within rt's own policies.
func (ix *Index) resolve(rt RequestType, appID, permission string) (m Match, ok bool) {
	var why string
	if appID != "" {
		if e := ix.apps[appKey{rt, appID}]; e != nil {
			if permission != "" {
				if a := e.perms[permission]; a != nil {
					return Match{Active: a, Level: LevelPermission, Reason: fmt.Sprintf(
						"permission-specific policy %q of app %s covers permission %q", a.Policy.Name, appID, permission)}, true
				}
			}
			if a := e.app; a != nil {
				r := fmt.Sprintf("app default policy %q of app %s", a.Policy.Name, appID)
				if permission != "" {
					r += fmt.Sprintf(" (no permission-specific policy of the app covers %q)", permission)
				}
				return Match{Active: a, Level: LevelApp, Reason: r}, true
			}
			why = fmt.Sprintf("app %s has only permission-specific policies, none covering permission %q", appID, permission)
		} else {
			why = fmt.Sprintf("app %s has no %s policy of its own", appID, rt)
		}
	}
	if a := ix.global[rt]; a != nil {
		r := fmt.Sprintf("global policy %q for %s", a.Policy.Name, rt)
		if why != "" {
			r += " (" + why + ")"
		}
		return Match{Active: a, Level: LevelGlobal, Reason: r}, true
	}
	if a := ix.system[rt]; a != nil {
		r := fmt.Sprintf("system default %q for %s: no administrator's policy applies", a.Policy.Name, rt)
		if why != "" {
			r += " (" + why + ", and there is no global policy)"
		} else {
			r += " (there is no global policy)"
		}
		return Match{Active: a, Level: LevelSystemDefault, Reason: r}, true
	}
	return Match{}, false
}
