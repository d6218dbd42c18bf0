package app

import (
	"context"
	"errors"
	"net/mail"
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

// NewUser is an onboarding.
type NewUser struct {
	Email       string
	DisplayName string
	Role        domain.Role // empty: USER
	ManagerID   string
	ExternalID  string
}

// UserPatch changes the fields that are set.
type UserPatch struct {
	Email       *string
	DisplayName *string
	Role        *domain.Role
	ManagerID   *string
	ExternalID  *string
	Etag        string
}

// UserQuery narrows ListUsers; empty fields do not filter. Email and DisplayName match in
// any case, ExternalID exactly (the lookups a SCIM client filters by).
type UserQuery struct {
	ManagerID   string
	Email       string
	ExternalID  string
	DisplayName string
	Role        domain.Role
}

// UserView is a user with what is derived from the directory.
type UserView struct {
	domain.User
	IsManager bool
}

// CreateUser onboards a user (Admin, GM). The onboarding is a trigger: the request
// service opens a standalone task for the new user.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (UserView, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return UserView{}, err
	}
	if err := deny(authz.CanOnboard(sub)); err != nil {
		return UserView{}, err
	}
	if in.Role == "" {
		in.Role = domain.RoleUser
	}
	now := s.now()
	u := domain.User{
		ID: newID(), Email: normalizeEmail(in.Email), DisplayName: strings.TrimSpace(in.DisplayName),
		Role: in.Role, ManagerID: in.ManagerID, ExternalID: strings.TrimSpace(in.ExternalID), Status: domain.UserActive,
		CreateTime: now, UpdateTime: now, Version: 1,
	}
	if err := validateUserFields(u); err != nil {
		return UserView{}, err
	}
	err = s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		if err := tx.LockDirectory(ctx); err != nil {
			return err
		}
		if err := checkManagerLine(ctx, tx, u); err != nil {
			return err
		}
		if u.Role == domain.RoleGeneralManager && !holdsGMSeat(sub) {
			return errs.PermissionDenied("only the General Manager (or the bootstrap admin) names a General Manager")
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return conflict(err, "email", "EMAIL_TAKEN", "a user with this email exists")
		}
		if u.Role == domain.RoleGeneralManager {
			if err := s.adoptOrphans(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return s.emit(ctx, tx, "user.onboarded", "users/"+u.ID, &eventsv1.UserChanged{
			UserId: u.ID, Email: u.Email, DisplayName: u.DisplayName, Role: string(u.Role), ManagerId: u.ManagerID, Status: string(u.Status),
			ExternalId: u.ExternalID,
		}, s.triggerSinks...)
	})
	if err != nil {
		return UserView{}, err
	}
	return UserView{User: u}, nil
}

// adoptOrphans gives the first General Manager the users that had no manager (the
// bootstrap admin), so that exactly the GM has no manager from then on.
func (s *Service) adoptOrphans(ctx context.Context, tx store.Tx, gmID string) error {
	all, err := tx.ListUsers(ctx, store.UserFilter{Role: domain.RoleAdmin}, store.Page{})
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ManagerID != "" || o.ID == gmID {
			continue
		}
		o.ManagerID = gmID
		o.Version++
		o.UpdateTime = s.now()
		if err := tx.UpdateUser(ctx, o); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, "user.updated", "users/"+o.ID, &eventsv1.UserChanged{UserId: o.ID, ManagerId: gmID, Changed: []string{"manager_id"}}); err != nil {
			return err
		}
	}
	return nil
}

// GetUser returns a user the caller may see: Admin and GM see everyone; others see
// themselves, their manager and their direct reports. Anyone else is NOT_FOUND.
func (s *Service) GetUser(ctx context.Context, id string) (UserView, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return UserView{}, err
	}
	u, err := appkit.Visible("user", id, canSeeUser(ctx, s.store, sub))(s.store.GetUser(ctx, id))
	if err != nil {
		return UserView{}, err
	}
	return s.view(ctx, u)
}

// canSeeUser reports whether sub may see a user: Admin and GM see everyone, others
// themselves, their manager and their direct reports. It reads through r: inside a
// transaction, pass the transaction.
func canSeeUser(ctx context.Context, r store.Reader, sub authz.Subject) func(domain.User) bool {
	return func(u domain.User) bool {
		if isAdminOrGM(sub) || u.ID == sub.UserID || u.ManagerID == sub.UserID {
			return true
		}
		me, err := r.GetUser(ctx, sub.UserID)
		return err == nil && me.ManagerID == u.ID
	}
}

// lockUser locks the directory in tx and reads user id, who must be one sub may see (else
// NOT_FOUND): the start of every change of a user.
func lockUser(ctx context.Context, tx store.Tx, sub authz.Subject, id string) (domain.User, error) {
	if err := tx.LockDirectory(ctx); err != nil {
		return domain.User{}, err
	}
	return appkit.Visible("user", id, canSeeUser(ctx, tx, sub))(tx.GetUser(ctx, id))
}

// visibleUserIDs is nil for Admin and GM (everyone), else self, manager and reports.
func (s *Service) visibleUserIDs(ctx context.Context, sub authz.Subject) ([]string, error) {
	if isAdminOrGM(sub) {
		return nil, nil
	}
	ids := []string{sub.UserID}
	if me, err := s.store.GetUser(ctx, sub.UserID); err == nil && me.ManagerID != "" {
		ids = append(ids, me.ManagerID)
	}
	reports, err := s.store.DirectReports(ctx, sub.UserID)
	if err != nil {
		return nil, err
	}
	return append(ids, reports...), nil
}

// ListUsers lists the users the caller may see, ordered by id.
func (s *Service) ListUsers(ctx context.Context, q UserQuery, size int32, token string) ([]UserView, string, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return nil, "", err
	}
	users, next, err := paging.List("users", token, 1, size, func(after []string, n int) ([]domain.User, error) {
		visible, err := s.visibleUserIDs(ctx, sub)
		if err != nil {
			return nil, err
		}
		f := store.UserFilter{ManagerID: q.ManagerID, IDs: visible, Email: q.Email, ExternalID: q.ExternalID, DisplayName: q.DisplayName, Role: q.Role}
		if visible != nil && f.IDs == nil {
			f.IDs = []string{}
		}
		return s.store.ListUsers(ctx, f, store.Page{Size: n, After: after[0]})
	}, func(u domain.User) []string { return []string{u.ID} })
	if err != nil {
		return nil, "", err
	}
	views, err := s.views(ctx, users)
	return views, next, err
}

// UpdateUser edits a user (Admin, GM, the user's manager). Only Admin and GM change roles.
func (s *Service) UpdateUser(ctx context.Context, id string, p UserPatch) (UserView, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return UserView{}, err
	}
	var out domain.User
	principals := p.Role != nil
	err = s.write(ctx, principals, func(ctx context.Context, tx store.Tx) error {
		u, err := lockUser(ctx, tx, sub, id)
		if err != nil {
			return err
		}
		if err := deny(authz.CanEditUser(sub, u.ManagerID)); err != nil {
			return err
		}
		if err := etag.Check(p.Etag, u.Version, "the user"); err != nil {
			return err
		}
		if u.Status == domain.UserOffboarded {
			return errs.FailedPrecondition("USER_OFFBOARDED", "an offboarded user cannot be edited")
		}
		var changed []string
		previousManager := ""
		if p.Email != nil && normalizeEmail(*p.Email) != u.Email {
			// The email is how an OIDC sign-in finds its user: changing it decides who may
			// sign in as u. Only an Admin or the GM may, and the GM's only the GM.
			switch {
			case !isAdminOrGM(sub):
				return errs.PermissionDenied("only an Admin or the General Manager changes an email (it is how OIDC sign-in finds the user)")
			case u.Role == domain.RoleGeneralManager && sub.UserID != u.ID && sub.UserID != BootstrapAdminID:
				return errs.PermissionDenied("only the General Manager (or the bootstrap admin) changes the General Manager's email")
			}
			u.Email, changed = normalizeEmail(*p.Email), append(changed, "email")
		}
		if p.DisplayName != nil && strings.TrimSpace(*p.DisplayName) != u.DisplayName {
			u.DisplayName, changed = strings.TrimSpace(*p.DisplayName), append(changed, "display_name")
		}
		if p.ExternalID != nil && strings.TrimSpace(*p.ExternalID) != u.ExternalID {
			// The external id is how a provisioning client finds its user: as for the email,
			// an Admin's or the GM's decision.
			if !isAdminOrGM(sub) {
				return errs.PermissionDenied("only an Admin or the General Manager changes an external id (it is how a provisioning client finds the user)")
			}
			u.ExternalID, changed = strings.TrimSpace(*p.ExternalID), append(changed, "external_id")
		}
		if p.Role != nil && *p.Role != u.Role {
			if !isAdminOrGM(sub) {
				return errs.PermissionDenied("only an Admin or the General Manager changes roles")
			}
			if (u.Role == domain.RoleGeneralManager || *p.Role == domain.RoleGeneralManager) && !holdsGMSeat(sub) {
				return errs.PermissionDenied("only the General Manager (or the bootstrap admin) changes the General Manager's role or names a General Manager")
			}
			u.Role, changed = *p.Role, append(changed, "role")
		}
		if p.ManagerID != nil && *p.ManagerID != u.ManagerID {
			// Moving someone under another manager hands that manager their rights over
			// the user: an Admin's or the GM's decision, not a manager's.
			if !isAdminOrGM(sub) {
				return errs.PermissionDenied("only an Admin or the General Manager moves a user to another manager")
			}
			if (u.Bootstrap || u.Role == domain.RoleGeneralManager) && !holdsGMSeat(sub) {
				return errs.PermissionDenied("only the General Manager (or the bootstrap admin) changes the manager line at its top")
			}
			previousManager = u.ManagerID
			u.ManagerID, changed = *p.ManagerID, append(changed, "manager_id")
		}
		if len(changed) == 0 {
			out = u
			return nil
		}
		if err := validateUserFields(u); err != nil {
			return err
		}
		if err := checkManagerLine(ctx, tx, u); err != nil {
			return err
		}
		u.Version++
		u.UpdateTime = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return conflict(err, "email", "EMAIL_TAKEN", "a user with this email exists")
		}
		out = u
		var movers []string
		if previousManager != "" {
			// A mover: the task service moves the user's pending manager reviews to the new
			// manager and gives the new manager the user's accesses to review.
			movers = s.moverSinks
		}
		return s.emit(ctx, tx, "user.updated", "users/"+u.ID, &eventsv1.UserChanged{
			UserId: u.ID, Email: u.Email, DisplayName: u.DisplayName, Role: string(u.Role), ManagerId: u.ManagerID, ExternalId: u.ExternalID, Changed: changed,
			PreviousManagerId: previousManager,
		}, movers...)
	})
	if err != nil {
		return UserView{}, err
	}
	return s.view(ctx, out)
}

// OffboardUser offboards a user (Admin, GM, the user's manager). The offboarding is a
// trigger: the request service opens a Remove Access request for each access listed in
// the event and a standalone task for the manager to confirm.
func (s *Service) OffboardUser(ctx context.Context, id, reason string) (UserView, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return UserView{}, err
	}
	var out domain.User
	err = s.write(ctx, true, func(ctx context.Context, tx store.Tx) error {
		u, err := lockUser(ctx, tx, sub, id)
		if err != nil {
			return err
		}
		if err := deny(authz.CanOffboard(sub, u.ManagerID)); err != nil {
			return err
		}
		if u.ID == sub.UserID {
			return errs.FailedPrecondition("SELF_OFFBOARDING", "nobody offboards themselves")
		}
		if u.Status == domain.UserOffboarded {
			return errs.FailedPrecondition("ALREADY_OFFBOARDED", "the user is already offboarded")
		}
		if u.Role == domain.RoleGeneralManager {
			return errs.FailedPrecondition("GENERAL_MANAGER", "the General Manager cannot be offboarded; make someone else General Manager first")
		}
		accesses, err := tx.ListAccesses(ctx, store.AccessFilter{UserID: u.ID}, store.AccessPage{})
		if err != nil {
			return err
		}
		u.Status = domain.UserOffboarded
		u.Version++
		u.UpdateTime = s.now()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		out = u
		ev := &eventsv1.UserChanged{UserId: u.ID, Email: u.Email, ManagerId: u.ManagerID, Status: string(u.Status), Reason: reason}
		for _, a := range accesses {
			ev.Accesses = append(ev.Accesses, &eventsv1.AccessChanged{UserId: a.UserID, AppId: a.AppID, Permission: a.Permission})
		}
		return s.emit(ctx, tx, "user.offboarded", "users/"+u.ID, ev, s.triggerSinks...)
	})
	if err != nil {
		return UserView{}, err
	}
	return s.view(ctx, out)
}

// Me is the caller, the capabilities the matrix gives them, and the apps they own.
func (s *Service) Me(ctx context.Context) (UserView, []string, []string, error) {
	p, sub, err := s.caller(ctx)
	if err != nil {
		return UserView{}, nil, nil, err
	}
	if p.IsSystem() {
		return UserView{User: domain.User{ID: p.UserID, Role: domain.RoleAdmin, Status: domain.UserActive, DisplayName: "Grantflow system"}}, authz.Capabilities(sub), nil, nil
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return UserView{}, nil, nil, err
	}
	v, err := s.view(ctx, u)
	if err != nil {
		return UserView{}, nil, nil, err
	}
	owned, err := s.store.OwnedApps(ctx, u.ID)
	if err != nil {
		return UserView{}, nil, nil, err
	}
	sub.IsManager, sub.OwnedAppIDs = v.IsManager, owned
	return v, authz.Capabilities(sub), owned, nil
}

func (s *Service) view(ctx context.Context, u domain.User) (UserView, error) {
	vs, err := s.views(ctx, []domain.User{u})
	if err != nil {
		return UserView{}, err
	}
	return vs[0], nil
}

func (s *Service) views(ctx context.Context, users []domain.User) ([]UserView, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	has, err := s.store.HasReports(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]UserView, len(users))
	for i, u := range users {
		out[i] = UserView{User: u, IsManager: has[u.ID]}
	}
	return out, nil
}

func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

func validateUserFields(u domain.User) error {
	var bad []errs.FieldViolation
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || a.Name != "" {
		bad = append(bad, errs.FieldViolation{Field: "email", Description: "not an email address"})
	}
	if u.DisplayName == "" {
		bad = append(bad, errs.FieldViolation{Field: "display_name", Description: "required"})
	}
	if !slices.Contains([]domain.Role{domain.RoleUser, domain.RoleAdmin, domain.RoleGeneralManager}, u.Role) {
		bad = append(bad, errs.FieldViolation{Field: "role", Description: "must be USER, ADMIN or GENERAL_MANAGER"})
	}
	if len(bad) > 0 {
		return errs.InvalidFields(bad...)
	}
	return nil
}

// checkManagerLine keeps the directory's invariants: exactly the General Manager has no
// manager (the bootstrap admin waits for one), managers exist and are active, and the
// manager line has no cycle. Call it holding the directory lock.
func checkManagerLine(ctx context.Context, tx store.Tx, u domain.User) error {
	if u.Role == domain.RoleGeneralManager {
		if u.ManagerID != "" {
			return errs.Invalid("manager_id", "the General Manager has no manager")
		}
		gms, err := tx.ListUsers(ctx, store.UserFilter{Role: domain.RoleGeneralManager, ActiveOnly: true}, store.Page{Size: 2})
		if err != nil {
			return err
		}
		for _, gm := range gms {
			if gm.ID != u.ID {
				return errs.Invalid("role", "there is already a General Manager ("+gm.ID+")")
			}
		}
		return nil
	}
	if u.ManagerID == "" {
		if u.Bootstrap {
			return nil
		}
		return errs.Invalid("manager_id", "required for everyone but the General Manager")
	}
	if u.ManagerID == u.ID {
		return errs.Invalid("manager_id", "a user cannot be their own manager")
	}
	m, err := tx.GetUser(ctx, u.ManagerID)
	if errors.Is(err, store.ErrNotFound) {
		return errs.Invalid("manager_id", "no user "+u.ManagerID)
	}
	if err != nil {
		return err
	}
	if m.Status != domain.UserActive {
		return errs.Invalid("manager_id", "the manager is offboarded")
	}
	// Walk up from the new manager; meeting u again is a cycle.
	seen := map[string]bool{}
	for cur := m; cur.ManagerID != ""; {
		if cur.ManagerID == u.ID {
			return errs.Invalid("manager_id", "would make a cycle in the manager line")
		}
		if seen[cur.ID] {
			break // an existing cycle elsewhere; not ours to report
		}
		seen[cur.ID] = true
		next, err := tx.GetUser(ctx, cur.ManagerID)
		if err != nil {
			break
		}
		cur = next
	}
	return nil
}

// conflict maps the store's unique violation to ALREADY_EXISTS on field.
func conflict(err error, field, reason, msg string) error {
	if errors.Is(err, store.ErrConflict) {
		return errs.AlreadyExists(reason, msg).With("field", field)
	}
	return err
}
