package app

import (
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"

	"context"
	"errors"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// oidcUser finds the user of a verified OIDC token. An identity (issuer, subject) bound
// before is that user, whatever email the token carries now. An unbound one is matched
// by its verified email once, and bound (audited as user.oidc.bound): from then on
// another account at the issuer that claims the same email is refused, as is a token
// whose email is not verified (a missing email_verified claim is not verified).
// UNAUTHENTICATED (or store.ErrNotFound) when the token names nobody it may.
func (s *Service) oidcUser(ctx context.Context, c TokenClaims) (domain.User, error) {
	if c.Issuer == "" || c.Subject == "" {
		return domain.User{}, errs.Unauthenticated("token without issuer or subject")
	}
	b, err := s.store.GetOIDCBinding(ctx, c.Issuer, c.Subject)
	if err == nil {
		return s.store.GetUser(ctx, b.UserID)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return domain.User{}, err
	}
	if c.Email == "" || !c.EmailVerified {
		return domain.User{}, errs.Unauthenticated("email not verified by the issuer")
	}
	u, err := s.store.GetUserByEmail(ctx, c.Email)
	if err != nil {
		return domain.User{}, err
	}
	if u.Status != domain.UserActive {
		return u, nil // refused by the caller; nothing is bound for an inactive user
	}
	bind := domain.OIDCBinding{Issuer: c.Issuer, Subject: c.Subject, UserID: u.ID, CreateTime: s.now()}
	ctx = auth.WithPrincipal(ctx, auth.Principal{UserID: u.ID, Role: roleProto(u.Role)})
	err = s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		if _, err := tx.GetOIDCBindingOfUser(ctx, c.Issuer, u.ID); err == nil {
			// The user signed in before as another subject of this issuer.
			return errs.Unauthenticated("this email is bound to another account of the issuer")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.BindOIDC(ctx, bind); err != nil {
			return err
		}
		return s.emit(ctx, tx, "user.oidc.bound", "users/"+u.ID, &eventsv1.UserChanged{UserId: u.ID, OidcIssuer: c.Issuer, OidcSubject: c.Subject})
	})
	if err != nil {
		var aborted *errs.Error
		if errors.As(err, &aborted) && aborted.Kind == errs.KindAborted {
			// A concurrent first sign-in of the same identity bound it: read it again.
			if b, err := s.store.GetOIDCBinding(ctx, c.Issuer, c.Subject); err == nil {
				return s.store.GetUser(ctx, b.UserID)
			}
			return domain.User{}, errs.Unauthenticated("this email is bound to another account of the issuer")
		}
		return domain.User{}, err
	}
	return u, nil
}
