package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// NewApp is an app to register.
type NewApp struct {
	Name        string
	OwnerIDs    []string
	Permissions []domain.Permission
	CustomRoles []domain.CustomRole
}

// AppPatch changes the fields that are set.
type AppPatch struct {
	Name        *string
	OwnerIDs    *[]string
	Permissions *[]domain.Permission
	CustomRoles *[]domain.CustomRole
	Etag        string
}

func appEvent(a domain.App) *eventsv1.AppChanged {
	e := &eventsv1.AppChanged{AppId: a.ID, Name: a.Name, OwnerIds: a.OwnerIDs}
	for _, p := range a.Permissions {
		e.Permissions = append(e.Permissions, &eventsv1.AppPermission{Name: p.Name, Privileged: p.Privileged})
	}
	for _, r := range a.CustomRoles {
		e.CustomRoles = append(e.CustomRoles, &eventsv1.AppCustomRole{Name: r.Name, UserIds: r.UserIDs})
	}
	return e
}

// CreateApp registers an existing app directly (Admin, GM).
func (s *Service) CreateApp(ctx context.Context, in NewApp) (domain.App, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return domain.App{}, err
	}
	if err := deny(authz.CanRegisterApp(sub)); err != nil {
		return domain.App{}, err
	}
	return s.addApp(ctx, in, "", "", sub.UserID)
}

// addApp creates an app; by is who registered it directly ("" when a request added it).
func (s *Service) addApp(ctx context.Context, in NewApp, requestID, fieldPrefix string, by ...string) (domain.App, error) {
	now := s.now()
	a := domain.App{
		ID: newID(), Name: strings.TrimSpace(in.Name), OwnerIDs: in.OwnerIDs, Permissions: in.Permissions,
		CustomRoles: in.CustomRoles, Status: domain.AppActive, RequestID: requestID, CreateTime: now, UpdateTime: now, Version: 1,
	}
	if err := validateApp(a, fieldPrefix); err != nil {
		return domain.App{}, err
	}
	err := s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		if err := checkAppPeople(ctx, tx, a, fieldPrefix); err != nil {
			return err
		}
		if err := tx.CreateApp(ctx, a); err != nil {
			return conflict(err, fieldPrefix+"name", "APP_NAME_TAKEN", "an app with this name exists")
		}
		if requestID != "" {
			if err := tx.RecordApplied(ctx, requestID, "app:"+a.ID); err != nil {
				return err
			}
		}
		for _, who := range by {
			if err := recordAppDelegations(ctx, tx, domain.App{ID: a.ID}, a, who); err != nil {
				return err
			}
		}
		created := appEvent(a)
		created.Status, created.RequestId = string(a.Status), requestID
		return s.emit(ctx, tx, "app.created", "apps/"+a.ID, created)
	})
	return a, err
}

// GetApp: anyone authenticated reads apps (people must see an app to ask for it).
func (s *Service) GetApp(ctx context.Context, id string) (domain.App, error) {
	if _, _, err := s.caller(ctx); err != nil {
		return domain.App{}, err
	}
	a, err := s.store.GetApp(ctx, id)
	return a, appkit.NotFound(err, "app", id)
}

// ListApps: anyone authenticated; ownerID filters to that owner's apps.
func (s *Service) ListApps(ctx context.Context, ownerID string, size int32, token string) ([]domain.App, string, error) {
	if _, _, err := s.caller(ctx); err != nil {
		return nil, "", err
	}
	return paging.List("apps", token, 1, size, func(after []string, n int) ([]domain.App, error) {
		return s.store.ListApps(ctx, store.AppFilter{OwnerID: ownerID}, store.Page{Size: n, After: after[0]})
	}, func(a domain.App) []string { return []string{a.ID} })
}

// UpdateApp edits an app (Admin, GM, an owner of the app).
func (s *Service) UpdateApp(ctx context.Context, id string, p AppPatch) (domain.App, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return domain.App{}, err
	}
	var out domain.App
	err = s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		a, err := tx.GetApp(ctx, id)
		if err != nil {
			return appkit.NotFound(err, "app", id)
		}
		if err := deny(authz.CanEditApp(sub, a.OwnerIDs)); err != nil {
			return err
		}
		if err := etag.Check(p.Etag, a.Version, "the app"); err != nil {
			return err
		}
		if a.Status == domain.AppArchived {
			return errs.FailedPrecondition("APP_ARCHIVED", "an archived app cannot be edited")
		}
		before := a
		if p.Name != nil {
			a.Name = strings.TrimSpace(*p.Name)
		}
		if p.OwnerIDs != nil {
			a.OwnerIDs = *p.OwnerIDs
		}
		if p.Permissions != nil {
			a.Permissions = *p.Permissions
		}
		if p.CustomRoles != nil {
			a.CustomRoles = *p.CustomRoles
		}
		if err := validateApp(a, "app."); err != nil {
			return err
		}
		if err := checkAppPeople(ctx, tx, a, "app."); err != nil {
			return err
		}
		if p.Permissions != nil {
			// A permission level still held by someone cannot disappear.
			held, err := tx.ListAccesses(ctx, store.AccessFilter{AppID: a.ID}, store.AccessPage{})
			if err != nil {
				return err
			}
			for _, acc := range held {
				if !a.HasPermission(acc.Permission) {
					return errs.FailedPrecondition("PERMISSION_IN_USE", fmt.Sprintf("permission %q is held by user %s; remove that access first", acc.Permission, acc.UserID))
				}
			}
		}
		a.Version++
		a.UpdateTime = s.now()
		if err := tx.UpdateApp(ctx, a); err != nil {
			return conflict(err, "app.name", "APP_NAME_TAKEN", "an app with this name exists")
		}
		if err := recordAppDelegations(ctx, tx, before, a, sub.UserID); err != nil {
			return err
		}
		out = a
		ev := appEvent(a)
		ev.PreviousOwnerIds = before.OwnerIDs
		var extra []string
		if !sameMembers(before.OwnerIDs, a.OwnerIDs) {
			// Owners are never reviewed on their app: the review service blocks or
			// releases their items.
			extra = s.reviewSinks
		}
		return s.emit(ctx, tx, "app.updated", "apps/"+a.ID, ev, extra...)
	})
	return out, err
}

// AddApp applies an approved ADD_APP request (internal; idempotent on requestID).
func (s *Service) AddApp(ctx context.Context, requestID, requesterID string, in NewApp) (domain.App, error) {
	if prev, err := s.store.AppliedRequest(ctx, requestID); err == nil {
		return s.store.GetApp(ctx, strings.TrimPrefix(prev, "app:"))
	}
	var by []string
	if requesterID != "" {
		by = append(by, requesterID) // the proposed owners were put there by the requester
	}
	a, err := s.addApp(ctx, in, requestID, "", by...)
	if errs.Is(err, errs.KindAlreadyExists) {
		// A concurrent retry of the same request may have won: answer as it did.
		if prev, perr := s.store.AppliedRequest(ctx, requestID); perr == nil {
			return s.store.GetApp(ctx, strings.TrimPrefix(prev, "app:"))
		}
	}
	return a, err
}

// ArchiveApp applies an approved ARCHIVE_APP request (internal; idempotent on requestID).
func (s *Service) ArchiveApp(ctx context.Context, requestID, appID string) (domain.App, error) {
	var out domain.App
	err := s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		a, err := tx.GetApp(ctx, appID)
		if err != nil {
			return appkit.NotFound(err, "app", appID)
		}
		if _, err := tx.AppliedRequest(ctx, requestID); err == nil {
			out = a
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if a.Status == domain.AppArchived {
			return errs.FailedPrecondition("APP_ARCHIVED", "the app is already archived")
		}
		a.Status = domain.AppArchived
		a.Version++
		a.UpdateTime = s.now()
		if err := tx.UpdateApp(ctx, a); err != nil {
			return err
		}
		if err := tx.RecordApplied(ctx, requestID, "archived:"+a.ID); err != nil {
			return err
		}
		// Archiving is whole: every access to the app goes with it, each audited.
		accs, err := tx.ListAccesses(ctx, store.AccessFilter{AppID: a.ID}, store.AccessPage{})
		if err != nil {
			return err
		}
		for _, acc := range accs {
			if err := tx.DeleteAccess(ctx, acc.UserID, acc.AppID); err != nil {
				return err
			}
			if err := s.emit(ctx, tx, "access.removed", "accesses/"+acc.UserID+"/"+acc.AppID, &eventsv1.AccessChanged{
				UserId: acc.UserID, AppId: acc.AppID, Permission: acc.Permission, RequestId: requestID,
			}); err != nil {
				return err
			}
		}
		out = a
		return s.emit(ctx, tx, "app.archived", "apps/"+a.ID, &eventsv1.AppChanged{AppId: a.ID, Status: string(a.Status), RequestId: requestID})
	})
	return out, err
}

func validateApp(a domain.App, prefix string) error {
	var bad []errs.FieldViolation
	if a.Name == "" {
		bad = append(bad, errs.FieldViolation{Field: prefix + "name", Description: "required"})
	}
	if len(a.Permissions) == 0 {
		bad = append(bad, errs.FieldViolation{Field: prefix + "permissions", Description: "an app needs at least one permission level"})
	}
	seen := map[string]bool{}
	for i, p := range a.Permissions {
		name := strings.TrimSpace(p.Name)
		switch {
		case name == "":
			bad = append(bad, errs.FieldViolation{Field: fmt.Sprintf("%spermissions[%d].name", prefix, i), Description: "required"})
		case seen[strings.ToLower(name)]:
			bad = append(bad, errs.FieldViolation{Field: fmt.Sprintf("%spermissions[%d].name", prefix, i), Description: fmt.Sprintf("duplicate permission name %q", name)})
		}
		seen[strings.ToLower(name)] = true
	}
	roles := map[string]bool{}
	for i, r := range a.CustomRoles {
		name := strings.TrimSpace(r.Name)
		switch {
		case name == "":
			bad = append(bad, errs.FieldViolation{Field: fmt.Sprintf("%scustom_roles[%d].name", prefix, i), Description: "required"})
		case roles[strings.ToLower(name)]:
			bad = append(bad, errs.FieldViolation{Field: fmt.Sprintf("%scustom_roles[%d].name", prefix, i), Description: fmt.Sprintf("duplicate custom role %q", name)})
		}
		roles[strings.ToLower(name)] = true
	}
	if len(bad) > 0 {
		return errs.InvalidFields(bad...)
	}
	return nil
}

// checkAppPeople: owners and custom role holders exist and are active.
func checkAppPeople(ctx context.Context, r store.Reader, a domain.App, prefix string) error {
	if err := activeUsers(ctx, r, prefix+"owner_ids", a.OwnerIDs); err != nil {
		return err
	}
	for i, cr := range a.CustomRoles {
		if err := activeUsers(ctx, r, fmt.Sprintf("%scustom_roles[%d].user_ids", prefix, i), cr.UserIDs); err != nil {
			return err
		}
	}
	return nil
}

func activeUsers(ctx context.Context, r store.Reader, field string, ids []string) error {
	if err := usersExist(ctx, r, field, ids); err != nil {
		return err
	}
	users, err := r.GetUsers(ctx, ids)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Status != domain.UserActive {
			return errs.Invalid(field, "user "+u.ID+" is offboarded")
		}
	}
	return nil
}

// recordAppDelegations records who put people into the app's assignee sets: the owners
// and each custom role added between before and after, by the caller by.
func recordAppDelegations(ctx context.Context, tx store.Tx, before, after domain.App, by string) error {
	if err := recordAdded(ctx, tx, "app_owner:"+after.ID, before.OwnerIDs, after.OwnerIDs, by); err != nil {
		return err
	}
	for _, r := range after.CustomRoles {
		var had []string
		for _, o := range before.CustomRoles {
			if strings.EqualFold(o.Name, r.Name) {
				had = o.UserIDs
			}
		}
		if err := recordAdded(ctx, tx, "custom_role:"+after.ID+":"+strings.ToLower(r.Name), had, r.UserIDs, by); err != nil {
			return err
		}
	}
	return nil
}

// recordAdded records that by put each of after not in before into the assignee set.
func recordAdded(ctx context.Context, tx store.Tx, set string, before, after []string, by string) error {
	for _, id := range after {
		if id == by || slices.Contains(before, id) {
			continue
		}
		if err := tx.RecordDelegation(ctx, domain.Delegation{Set: set, UserID: id, ByUserID: by}); err != nil {
			return err
		}
	}
	return nil
}

// sameMembers reports whether a and b hold the same ids, in any order.
func sameMembers(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
