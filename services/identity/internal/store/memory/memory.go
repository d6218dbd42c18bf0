package memory

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

type accessKey struct{ user, app string }

type state struct {
	users      map[string]domain.User
	emails     map[string]string // lower email -> id
	groups     map[string]domain.Group
	apps       map[string]domain.App
	appNames   map[string]string // lower name -> id
	accesses   map[accessKey]domain.Access
	keys       map[string]domain.APIKey
	keyHash    map[string]string // hash -> key id
	applied    map[string]string
	oidc       map[oidcKey]domain.OIDCBinding // see oidc.go
	connectors map[string]domain.AppConnector // by app id; see connector.go
	// delegations by "set\x00user\x00by".
	delegations map[string]domain.Delegation
}

// Store is the in-memory identity store.
type Store struct {
	memstore.Shell[state, store.Tx]
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{memstore.NewShell(state{
		users: map[string]domain.User{}, emails: map[string]string{},
		groups: map[string]domain.Group{}, apps: map[string]domain.App{}, appNames: map[string]string{},
		accesses: map[accessKey]domain.Access{}, keys: map[string]domain.APIKey{}, keyHash: map[string]string{},
		applied: map[string]string{}, delegations: map[string]domain.Delegation{},
	}, wrap)}
}

func wrap(st *state, mt *memstore.Tx) store.Tx { return &tx{state: st, Tx: mt} }

// --- reads: the Store takes the read lock, a tx already holds the write lock ---

func (s *Store) GetUser(ctx context.Context, id string) (domain.User, error) {
	return memstore.View(s.Engine, func(st *state) (domain.User, error) { return st.GetUser(ctx, id) })
}
func (s *Store) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	return memstore.View(s.Engine, func(st *state) (domain.User, error) { return st.GetUserByEmail(ctx, email) })
}
func (s *Store) GetUsers(ctx context.Context, ids []string) ([]domain.User, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.User, error) { return st.GetUsers(ctx, ids) })
}
func (s *Store) ListUsers(ctx context.Context, f store.UserFilter, p store.Page) ([]domain.User, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.User, error) { return st.ListUsers(ctx, f, p) })
}
func (s *Store) DirectReports(ctx context.Context, id string) ([]string, error) {
	return memstore.View(s.Engine, func(st *state) ([]string, error) { return st.DirectReports(ctx, id) })
}
func (s *Store) HasReports(ctx context.Context, ids []string) (map[string]bool, error) {
	return memstore.View(s.Engine, func(st *state) (map[string]bool, error) { return st.HasReports(ctx, ids) })
}
func (s *Store) GetGroup(ctx context.Context, id string) (domain.Group, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Group, error) { return st.GetGroup(ctx, id) })
}
func (s *Store) GetGroups(ctx context.Context, ids []string) ([]domain.Group, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Group, error) { return st.GetGroups(ctx, ids) })
}
func (s *Store) ListGroups(ctx context.Context, p store.Page) ([]domain.Group, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Group, error) { return st.ListGroups(ctx, p) })
}
func (s *Store) GetApp(ctx context.Context, id string) (domain.App, error) {
	return memstore.View(s.Engine, func(st *state) (domain.App, error) { return st.GetApp(ctx, id) })
}
func (s *Store) GetAppByName(ctx context.Context, name string) (domain.App, error) {
	return memstore.View(s.Engine, func(st *state) (domain.App, error) { return st.GetAppByName(ctx, name) })
}
func (s *Store) GetApps(ctx context.Context, ids []string) ([]domain.App, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.App, error) { return st.GetApps(ctx, ids) })
}
func (s *Store) ListApps(ctx context.Context, f store.AppFilter, p store.Page) ([]domain.App, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.App, error) { return st.ListApps(ctx, f, p) })
}
func (s *Store) OwnedApps(ctx context.Context, userID string) ([]string, error) {
	return memstore.View(s.Engine, func(st *state) ([]string, error) { return st.OwnedApps(ctx, userID) })
}
func (s *Store) GetAccess(ctx context.Context, userID, appID string) (domain.Access, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Access, error) { return st.GetAccess(ctx, userID, appID) })
}
func (s *Store) ListAccesses(ctx context.Context, f store.AccessFilter, p store.AccessPage) ([]domain.Access, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Access, error) { return st.ListAccesses(ctx, f, p) })
}
func (s *Store) GetAPIKeyByHash(ctx context.Context, hash []byte) (domain.APIKey, error) {
	return memstore.View(s.Engine, func(st *state) (domain.APIKey, error) { return st.GetAPIKeyByHash(ctx, hash) })
}
func (s *Store) GetAPIKey(ctx context.Context, id string) (domain.APIKey, error) {
	return memstore.View(s.Engine, func(st *state) (domain.APIKey, error) { return st.GetAPIKey(ctx, id) })
}
func (s *Store) ListAPIKeys(ctx context.Context, userID string) ([]domain.APIKey, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.APIKey, error) { return st.ListAPIKeys(ctx, userID) })
}
func (s *Store) AppliedRequest(ctx context.Context, requestID string) (string, error) {
	return memstore.View(s.Engine, func(st *state) (string, error) { return st.AppliedRequest(ctx, requestID) })
}

func (s *Store) DelegatedBy(ctx context.Context, byUserIDs []string) ([]domain.Delegation, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Delegation, error) { return st.DelegatedBy(ctx, byUserIDs) })
}

func (s *Store) DelegatedInto(ctx context.Context, sets []string) ([]domain.Delegation, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Delegation, error) { return st.DelegatedInto(ctx, sets) })
}

// --- the state's queries (no locking) ---

func (st *state) DelegatedBy(_ context.Context, byUserIDs []string) ([]domain.Delegation, error) {
	return st.delegationsWhere(func(d domain.Delegation) bool { return slices.Contains(byUserIDs, d.ByUserID) }), nil
}

func (st *state) DelegatedInto(_ context.Context, sets []string) ([]domain.Delegation, error) {
	return st.delegationsWhere(func(d domain.Delegation) bool { return slices.Contains(sets, d.Set) }), nil
}

// delegationsWhere lists the delegations keep keeps, in (set, user, by) order.
func (st *state) delegationsWhere(keep func(domain.Delegation) bool) []domain.Delegation {
	out := []domain.Delegation{}
	for _, d := range st.delegations {
		if keep(d) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Set+"\x00"+out[i].UserID+"\x00"+out[i].ByUserID < out[j].Set+"\x00"+out[j].UserID+"\x00"+out[j].ByUserID
	})
	return out
}

func (st *state) GetUser(_ context.Context, id string) (domain.User, error) {
	u, err := memstore.Get(st.users, id)
	return cloneUser(u), err
}

func (st *state) GetUserByEmail(_ context.Context, email string) (domain.User, error) {
	u, err := memstore.GetBy(st.emails, strings.ToLower(email), st.users)
	return cloneUser(u), err
}

func (st *state) GetUsers(_ context.Context, ids []string) ([]domain.User, error) {
	out := []domain.User{}
	for _, id := range sortedUnique(ids) {
		if u, ok := st.users[id]; ok {
			out = append(out, cloneUser(u))
		}
	}
	return out, nil
}

func (st *state) ListUsers(_ context.Context, f store.UserFilter, p store.Page) ([]domain.User, error) {
	var allowed map[string]bool
	if f.IDs != nil {
		allowed = set(f.IDs)
	}
	return memstore.Page(st.users, p, func(u domain.User) string { return u.ID }, func(u domain.User) bool {
		return (f.ManagerID == "" || u.ManagerID == f.ManagerID) &&
			(allowed == nil || allowed[u.ID]) &&
			(f.Role == "" || u.Role == f.Role) &&
			(!f.ActiveOnly || u.Status == domain.UserActive) &&
			(f.Email == "" || strings.EqualFold(u.Email, f.Email)) &&
			(f.ExternalID == "" || u.ExternalID == f.ExternalID) &&
			(f.DisplayName == "" || strings.EqualFold(u.DisplayName, f.DisplayName))
	}, cloneUser), nil
}

func (st *state) DirectReports(_ context.Context, managerID string) ([]string, error) {
	out := []string{}
	for _, u := range st.users {
		if u.ManagerID == managerID && managerID != "" {
			out = append(out, u.ID)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (st *state) HasReports(_ context.Context, ids []string) (map[string]bool, error) {
	want := set(ids)
	out := map[string]bool{}
	for _, u := range st.users {
		if u.Status == domain.UserActive && u.ManagerID != "" && want[u.ManagerID] {
			out[u.ManagerID] = true
		}
	}
	return out, nil
}

func (st *state) GetGroup(_ context.Context, id string) (domain.Group, error) {
	g, err := memstore.Get(st.groups, id)
	return cloneGroup(g), err
}

func (st *state) GetGroups(_ context.Context, ids []string) ([]domain.Group, error) {
	out := []domain.Group{}
	for _, id := range sortedUnique(ids) {
		if g, ok := st.groups[id]; ok {
			out = append(out, cloneGroup(g))
		}
	}
	return out, nil
}

func (st *state) ListGroups(_ context.Context, p store.Page) ([]domain.Group, error) {
	return memstore.Page(st.groups, p, func(g domain.Group) string { return g.ID }, memstore.All, cloneGroup), nil
}

func (st *state) GetApp(_ context.Context, id string) (domain.App, error) {
	a, err := memstore.Get(st.apps, id)
	return cloneApp(a), err
}

func (st *state) GetAppByName(_ context.Context, name string) (domain.App, error) {
	a, err := memstore.GetBy(st.appNames, strings.ToLower(name), st.apps)
	return cloneApp(a), err
}

func (st *state) GetApps(_ context.Context, ids []string) ([]domain.App, error) {
	out := []domain.App{}
	for _, id := range sortedUnique(ids) {
		if a, ok := st.apps[id]; ok {
			out = append(out, cloneApp(a))
		}
	}
	return out, nil
}

func (st *state) ListApps(_ context.Context, f store.AppFilter, p store.Page) ([]domain.App, error) {
	var allowed map[string]bool
	if f.IDs != nil {
		allowed = set(f.IDs)
	}
	return memstore.Page(st.apps, p, func(a domain.App) string { return a.ID }, func(a domain.App) bool {
		return (f.OwnerID == "" || slices.Contains(a.OwnerIDs, f.OwnerID)) && (allowed == nil || allowed[a.ID])
	}, cloneApp), nil
}

func (st *state) OwnedApps(_ context.Context, userID string) ([]string, error) {
	out := []string{}
	for _, a := range st.apps {
		if slices.Contains(a.OwnerIDs, userID) {
			out = append(out, a.ID)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (st *state) GetAccess(_ context.Context, userID, appID string) (domain.Access, error) {
	return memstore.Get(st.accesses, accessKey{userID, appID})
}

func (st *state) ListAccesses(_ context.Context, f store.AccessFilter, p store.AccessPage) ([]domain.Access, error) {
	visUsers, visApps := set(f.VisibleUserIDs), set(f.VisibleAppIDs)
	perms := set(f.Permissions)
	var out []domain.Access
	for _, a := range st.accesses {
		if (f.UserID != "" && a.UserID != f.UserID) || (f.AppID != "" && a.AppID != f.AppID) {
			continue
		}
		if len(f.Permissions) > 0 && !perms[a.Permission] {
			continue
		}
		if f.Restricted && !visUsers[a.UserID] && !visApps[a.AppID] {
			continue
		}
		if p.AfterUserID != "" && (a.UserID < p.AfterUserID || (a.UserID == p.AfterUserID && a.AppID <= p.AfterAppID)) {
			continue
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].UserID != out[j].UserID {
			return out[i].UserID < out[j].UserID
		}
		return out[i].AppID < out[j].AppID
	})
	if p.Size > 0 && len(out) > p.Size {
		out = out[:p.Size]
	}
	if out == nil {
		out = []domain.Access{}
	}
	return out, nil
}

func (st *state) GetAPIKeyByHash(_ context.Context, hash []byte) (domain.APIKey, error) {
	k, err := memstore.GetBy(st.keyHash, string(hash), st.keys)
	k.Hash = bytes.Clone(k.Hash)
	return k, err
}

func (st *state) GetAPIKey(_ context.Context, id string) (domain.APIKey, error) {
	k, err := memstore.Get(st.keys, id)
	k.Hash = bytes.Clone(k.Hash)
	return k, err
}

func (st *state) ListAPIKeys(_ context.Context, userID string) ([]domain.APIKey, error) {
	out := []domain.APIKey{}
	for _, k := range st.keys {
		if k.UserID == userID {
			k.Hash = bytes.Clone(k.Hash)
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (st *state) AppliedRequest(_ context.Context, requestID string) (string, error) {
	return memstore.Get(st.applied, requestID)
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func sortedUnique(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return slices.Compact(out)
}

func cloneUser(u domain.User) domain.User { return u }

func cloneGroup(g domain.Group) domain.Group {
	g.MemberIDs = slices.Clone(g.MemberIDs)
	return g
}

func cloneApp(a domain.App) domain.App {
	a.OwnerIDs = slices.Clone(a.OwnerIDs)
	a.Permissions = slices.Clone(a.Permissions)
	roles := make([]domain.CustomRole, len(a.CustomRoles))
	for i, r := range a.CustomRoles {
		roles[i] = domain.CustomRole{Name: r.Name, UserIDs: slices.Clone(r.UserIDs)}
	}
	a.CustomRoles = roles
	return a
}
