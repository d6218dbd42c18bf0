package app

import (
	"context"
	"errors"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"

	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// Change is an effect on accesses that a request applies.
type Change string

const (
	Grant  Change = "GRANT"
	Modify Change = "CHANGE"
	Remove Change = "REMOVE"
)

// ListAccesses returns the accesses the caller may see: their own, their direct reports'
// (manager), those of apps they own (owner), everything (Admin, GM).
func (s *Service) ListAccesses(ctx context.Context, userID, appID string, size int32, token string) ([]domain.Access, string, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return nil, "", err
	}
	return paging.List("accesses", token, 2, size, func(after []string, n int) ([]domain.Access, error) {
		f := store.AccessFilter{UserID: userID, AppID: appID}
		if !isAdminOrGM(sub) {
			reports, err := s.store.DirectReports(ctx, sub.UserID)
			if err != nil {
				return nil, err
			}
			owned, err := s.store.OwnedApps(ctx, sub.UserID)
			if err != nil {
				return nil, err
			}
			f.Restricted, f.VisibleUserIDs, f.VisibleAppIDs = true, append(reports, sub.UserID), owned
		}
		return s.store.ListAccesses(ctx, f, store.AccessPage{Size: n, AfterUserID: after[0], AfterAppID: after[1]})
	}, func(a domain.Access) []string { return []string{a.UserID, a.AppID} })
}

// ApplyAccessChange applies a request's effect (internal: only the request service calls
// it). Idempotent on requestID: applying the same request again returns the first result.
// expire (zero: never) is when a granted or changed access expires.
func (s *Service) ApplyAccessChange(ctx context.Context, requestID string, change Change, userID, appID, permission string, expire time.Time) (domain.Access, error) {
	var out domain.Access
	err := s.writeAccesses(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.AppliedRequest(ctx, requestID); err == nil {
			a, err := tx.GetAccess(ctx, userID, appID)
			if errors.Is(err, store.ErrNotFound) {
				out = domain.Access{UserID: userID, AppID: appID, Permission: permission, RequestID: requestID}
				return nil
			}
			out = a
			return err
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		u, err := tx.GetUser(ctx, userID)
		if err != nil {
			return notFoundField(err, "user_id", "no user "+userID)
		}
		app, err := tx.GetApp(ctx, appID)
		if err != nil {
			return notFoundField(err, "app_id", "no app "+appID)
		}
		cur, err := tx.GetAccess(ctx, userID, appID)
		held := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ev := &eventsv1.AccessChanged{UserId: userID, AppId: appID, Permission: permission, RequestId: requestID}
		var action string
		switch change {
		case Grant, Modify:
			if app.Status != domain.AppActive {
				return errs.FailedPrecondition("APP_ARCHIVED", "the app is archived")
			}
			if !app.HasPermission(permission) {
				return errs.Invalid("permission", "the app has no permission "+permission)
			}
			if change == Grant {
				if u.Status != domain.UserActive {
					return errs.FailedPrecondition("USER_OFFBOARDED", "the user is offboarded")
				}
				if held {
					return errs.FailedPrecondition("ACCESS_HELD", "the user already holds "+cur.Permission+" on this app")
				}
				action = "access.granted"
			} else {
				if !held {
					return errs.FailedPrecondition("NO_ACCESS", "the user holds no access to this app")
				}
				ev.PreviousPermission, action = cur.Permission, "access.changed"
			}
			out = domain.Access{UserID: userID, AppID: appID, Permission: permission, GrantTime: s.now(), RequestID: requestID, ExpireTime: expire}
			if !expire.IsZero() {
				ev.ExpireTime = timestamppb.New(expire)
			}
			if err := tx.PutAccess(ctx, out); err != nil {
				return err
			}
		case Remove:
			if !held {
				return errs.FailedPrecondition("NO_ACCESS", "the user holds no access to this app")
			}
			if err := tx.DeleteAccess(ctx, userID, appID); err != nil {
				return err
			}
			out, ev.Permission, action = cur, cur.Permission, "access.removed"
		default:
			return errs.Invalid("change", "must be GRANT, CHANGE or REMOVE")
		}
		if err := tx.RecordApplied(ctx, requestID, string(change)); err != nil {
			return err
		}
		return s.emit(ctx, tx, action, "accesses/"+userID+"/"+appID, ev)
	})
	if err != nil && !errs.Is(err, errs.KindInvalid) {
		// A concurrent call applying the same request may have committed after this one
		// looked (it then found the access already changed, or lost the race to write it):
		// the request is applied, so answer as the first call did.
		if _, aerr := s.store.AppliedRequest(ctx, requestID); aerr == nil {
			a, gerr := s.store.GetAccess(ctx, userID, appID)
			if errors.Is(gerr, store.ErrNotFound) {
				return domain.Access{UserID: userID, AppID: appID, Permission: permission, RequestID: requestID}, nil
			}
			return a, gerr
		}
	}
	return out, err
}

func notFoundField(err error, field, msg string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errs.Invalid(field, msg)
	}
	return err
}
