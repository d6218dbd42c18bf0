package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/workflow"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// Assignee is a workflow step's assignee spec, the kit's (pkg/workflow): the type the policy
// and request services keep in their workflows.
type Assignee = workflow.Assignee

// Resolution is who a spec resolves to.
type Resolution struct {
	UserIDs     []string `json:"u"`
	FellBack    bool     `json:"f,omitempty"`
	Explanation string   `json:"e"`
	Agent       bool     `json:"a,omitempty"`
}

const resolutionTTL = 5 * time.Minute

// candidates is the part of a resolution that does not depend on whom the request leaves out:
// what the spec names (for the explanation), its active people (sorted, unique), and who
// put which of them into the assignee sets it draws on (for maker-checker). Cached in Redis per spec, with the target
// for MANAGER and the app for the kinds that read one: every request on an app (or of a
// target) shares the entry, whoever its requester.
type candidates struct {
	What   string   `json:"w"`
	People []string `json:"p"`
	// Delegated: who put which of People into the spec's assignee sets (maker-checker).
	Delegated []delegated `json:"d,omitempty"`
}

// delegated is one person of a resolution that someone put into the step's assignee sets.
type delegated struct {
	UserID   string `json:"u"`
	ByUserID string `json:"b"`
}

// ResolveAssignees resolves a step's assignee spec for a request on (targetUserID, appID),
// leaving out exclude (a review's requester and target). Only active users are resolved.
// A spec that leaves nobody falls back to the admins, then to the General Manager, and
// the explanation says so. Who the spec names is cached in Redis until the directory
// changes; whom exclude leaves out is worked out on every call.
func (s *Service) ResolveAssignees(ctx context.Context, spec Assignee, targetUserID, appID string, exclude []string) (Resolution, error) {
	if spec.Kind == "AGENT" {
		return Resolution{UserIDs: []string{}, Agent: true, Explanation: "the system agent carries out this step"}, nil
	}
	c, err := s.cachedCandidates(ctx, spec, targetUserID, appID)
	if err != nil {
		return Resolution{}, err
	}
	return s.narrow(ctx, c, exclude)
}

// cachedCandidates is candidates through the Redis cache.
func (s *Service) cachedCandidates(ctx context.Context, spec Assignee, targetUserID, appID string) (candidates, error) {
	// Only what the kind reads is in the key.
	var target, app string
	switch spec.Kind {
	case "MANAGER":
		target = targetUserID
	case "APP_OWNER", "CUSTOM_ROLE", "PRIVILEGED_USERS":
		app = appID
	}
	keyRaw, _ := json.Marshal([]any{spec, target, app})
	sum := sha256.Sum256(keyRaw)
	key := "candidates:" + hex.EncodeToString(sum[:16])
	ns := DirectoryNamespace
	if spec.Kind == "PRIVILEGED_USERS" {
		ns = AccessNamespace // who holds a privileged permission changes with every access change
	}
	raw, gen, hit := s.cache.Lookup(ctx, ns, key)
	if hit {
		var c candidates
		if json.Unmarshal(raw, &c) == nil {
			return c, nil
		}
	}
	c, err := s.candidates(ctx, spec, target, app)
	if err != nil {
		return candidates{}, err
	}
	if raw, err := json.Marshal(c); err == nil {
		s.cache.Store(ctx, ns, key, gen, raw, resolutionTTL)
	}
	return c, nil
}

// candidates reads whom spec names for a request on (targetUserID, appID), before anyone
// is left out.
func (s *Service) candidates(ctx context.Context, spec Assignee, targetUserID, appID string) (candidates, error) {
	var ids []string
	var what string
	// sets are the assignee sets the step draws on that people can be put into (an app's
	// owners, a custom role, groups): maker-checker leaves out whom the requester or target
	// put into one of them.
	var sets []string
	app := func() (domain.App, error) {
		if appID == "" {
			return domain.App{}, errs.Invalid("app_id", spec.Kind+" needs the request's app")
		}
		a, err := s.store.GetApp(ctx, appID)
		return a, notFoundField(err, "app_id", "no app "+appID)
	}
	switch spec.Kind {
	case "ADMINS":
		what = "the admins"
		admins, err := s.admins(ctx)
		if err != nil {
			return candidates{}, err
		}
		ids = admins
	case "APP_OWNER":
		a, err := app()
		if err != nil {
			return candidates{}, err
		}
		what, ids = "the owners of "+a.Name, a.OwnerIDs
		sets = []string{"app_owner:" + a.ID}
	case "CUSTOM_ROLE":
		a, err := app()
		if err != nil {
			return candidates{}, err
		}
		what = fmt.Sprintf("custom role %q of %s", spec.CustomRole, a.Name)
		sets = []string{"custom_role:" + a.ID + ":" + strings.ToLower(spec.CustomRole)}
		for _, r := range a.CustomRoles {
			if strings.EqualFold(r.Name, spec.CustomRole) {
				ids = r.UserIDs
			}
		}
	case "MANAGER":
		if targetUserID == "" {
			return candidates{}, errs.Invalid("target_user_id", "MANAGER needs the request's target user")
		}
		u, err := s.store.GetUser(ctx, targetUserID)
		if err != nil {
			return candidates{}, notFoundField(err, "target_user_id", "no user "+targetUserID)
		}
		what = "the manager of " + u.DisplayName
		if u.ManagerID != "" {
			ids = []string{u.ManagerID}
		}
	case "PRIVILEGED_USERS":
		a, err := app()
		if err != nil {
			return candidates{}, err
		}
		what = "the privileged users of " + a.Name
		if priv := a.PrivilegedPermissions(); len(priv) > 0 {
			accs, err := s.store.ListAccesses(ctx, store.AccessFilter{AppID: a.ID, Permissions: priv}, store.AccessPage{})
			if err != nil {
				return candidates{}, err
			}
			for _, acc := range accs {
				ids = append(ids, acc.UserID)
			}
		}
	case "USER_GROUPS":
		what = "the members of groups " + strings.Join(spec.GroupIDs, ", ")
		groups, err := s.store.GetGroups(ctx, spec.GroupIDs)
		if err != nil {
			return candidates{}, err
		}
		for _, g := range groups {
			ids = append(ids, g.MemberIDs...)
			sets = append(sets, "group:"+g.ID)
		}
	case "USERS":
		what, ids = "the listed users", spec.UserIDs
	default:
		return candidates{}, errs.Invalid("assignee.kind", "unknown kind "+spec.Kind)
	}
	people, err := s.activeExcept(ctx, ids, nil)
	if err != nil {
		return candidates{}, err
	}
	c := candidates{What: what, People: people}
	if len(people) > 0 && len(sets) > 0 {
		ds, err := s.store.DelegatedInto(ctx, sets)
		if err != nil {
			return candidates{}, err
		}
		for _, d := range ds {
			if slices.Contains(people, d.UserID) {
				c.Delegated = append(c.Delegated, delegated{UserID: d.UserID, ByUserID: d.ByUserID})
			}
		}
	}
	return c, nil
}

// narrow finishes a resolution from c: it leaves out exclude, and whom they put into one of
// c's sets (maker-checker), and falls back to the admins, then to the General Manager, when
// nobody is left.
func (s *Service) narrow(ctx context.Context, c candidates, exclude []string) (Resolution, error) {
	what := c.What
	people := []string{}
	for _, p := range c.People {
		if !slices.Contains(exclude, p) {
			people = append(people, p)
		}
	}
	// Maker-checker through delegation: whom the requester or target put into the assignee
	// set this step draws on (the app's owners, the custom role, the groups) is left out, and
	// the explanation says so. Being put into another set (another app's owners) is no tie
	// to this step.
	var leftOut []string
	if len(exclude) > 0 && len(c.Delegated) > 0 {
		kept := people[:0:0]
		for _, p := range people {
			if slices.ContainsFunc(c.Delegated, func(d delegated) bool { return d.UserID == p && slices.Contains(exclude, d.ByUserID) }) {
				leftOut = append(leftOut, p)
			} else {
				kept = append(kept, p)
			}
		}
		people = kept
	}
	note := ""
	if len(leftOut) > 0 {
		note = "; left out " + strings.Join(leftOut, ", ") + ": put into an assignee set by the requester or the target user (maker-checker)"
	}
	if len(people) > 0 {
		return Resolution{UserIDs: people, Explanation: "assigned to " + what + note}, nil
	}
	admins, err := s.admins(ctx)
	if err != nil {
		return Resolution{}, err
	}
	if people, err = s.activeExcept(ctx, admins, exclude); err != nil {
		return Resolution{}, err
	}
	if len(people) > 0 {
		return Resolution{UserIDs: people, FellBack: true, Explanation: what + " resolved to nobody eligible; fell back to the admins" + note}, nil
	}
	gms, err := s.store.ListUsers(ctx, store.UserFilter{Role: domain.RoleGeneralManager, ActiveOnly: true}, store.Page{Size: 1})
	if err != nil {
		return Resolution{}, err
	}
	if len(gms) == 1 && !slices.Contains(exclude, gms[0].ID) {
		return Resolution{UserIDs: []string{gms[0].ID}, FellBack: true, Explanation: what + " and the admins resolved to nobody eligible; fell back to the General Manager" + note}, nil
	}
	return Resolution{UserIDs: []string{}, FellBack: true, Explanation: what + " resolved to nobody eligible, and no admin or General Manager is left to fall back to" + note}, nil
}

func (s *Service) admins(ctx context.Context) ([]string, error) {
	users, err := s.store.ListUsers(ctx, store.UserFilter{Role: domain.RoleAdmin, ActiveOnly: true}, store.Page{})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids, nil
}

// activeExcept keeps the active users of ids that are not excluded, sorted and unique.
func (s *Service) activeExcept(ctx context.Context, ids, exclude []string) ([]string, error) {
	if len(ids) == 0 {
		return []string{}, nil
	}
	users, err := s.store.GetUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, u := range users {
		if u.Status == domain.UserActive && !slices.Contains(exclude, u.ID) {
			out = append(out, u.ID)
		}
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

// Facts are what other services need to authorize and validate, in one round trip.
type Facts struct {
	Users    map[string]UserView
	Apps     map[string]domain.App
	Groups   []string
	Accesses []domain.Access
}

// GetFacts returns the users, apps and groups among the ids that exist, and optionally
// the accesses between the listed users and apps (internal).
func (s *Service) GetFacts(ctx context.Context, userIDs, appIDs, groupIDs []string, withAccesses bool, appNames ...string) (Facts, error) {
	f := Facts{Users: map[string]UserView{}, Apps: map[string]domain.App{}, Groups: []string{}}
	users, err := s.store.GetUsers(ctx, userIDs)
	if err != nil {
		return f, err
	}
	views, err := s.views(ctx, users)
	if err != nil {
		return f, err
	}
	for _, v := range views {
		f.Users[v.ID] = v
	}
	// An empty list finds nothing: no statement for it (a submit asks for no group).
	var apps []domain.App
	if len(appIDs) > 0 {
		if apps, err = s.store.GetApps(ctx, appIDs); err != nil {
			return f, err
		}
	}
	for _, a := range apps {
		f.Apps[a.ID] = a
	}
	for _, name := range appNames {
		a, err := s.store.GetAppByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return f, err
		}
		f.Apps[a.ID] = a
	}
	var groups []domain.Group
	if len(groupIDs) > 0 {
		if groups, err = s.store.GetGroups(ctx, groupIDs); err != nil {
			return f, err
		}
	}
	for _, g := range groups {
		f.Groups = append(f.Groups, g.ID)
	}
	if withAccesses {
		for _, u := range userIDs {
			for _, a := range appIDs {
				acc, err := s.store.GetAccess(ctx, u, a)
				if err == nil {
					f.Accesses = append(f.Accesses, acc)
				}
			}
		}
	}
	return f, nil
}
