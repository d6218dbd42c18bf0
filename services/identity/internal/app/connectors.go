package app

import (
	"context"
	"errors"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// ConnectorChange is a PUT of an app's connector.
type ConnectorChange struct {
	URL string
	// Secret is whsec_ + base64; empty keeps the connector's, or generates one for a new
	// connector.
	Secret string
	// Rotate generates a new secret.
	Rotate bool
}

// connectorSealName binds a sealed secret to its app: a sealed value copied onto another
// app's connector does not open.
func connectorSealName(appID string) string { return "apps/" + appID + "/connector" }

// SetAppConnector sets up the app's auto-provisioning connector (the matrix's "Set Up Auto
// Provisioning": an owner of the app, Admin, GM). It returns the connector and the secret
// when one was generated (shown this once).
func (s *Service) SetAppConnector(ctx context.Context, appID string, in ConnectorChange) (domain.AppConnector, string, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return domain.AppConnector{}, "", err
	}
	// Bad input first: nothing is read or written for it.
	if err := s.urls.ValidateURL("url", in.URL); err != nil {
		return domain.AppConnector{}, "", err
	}
	var given []byte
	if in.Secret != "" {
		if in.Rotate {
			return domain.AppConnector{}, "", errs.Invalid("rotate_secret", "give a secret or ask for a new one, not both")
		}
		if given, err = stdwebhook.ParseSecret(in.Secret); err != nil {
			return domain.AppConnector{}, "", errs.Invalid("secret", err.Error())
		}
	}
	var out domain.AppConnector
	var shown string
	err = s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		a, err := s.connectorApp(ctx, tx, sub, appID)
		if err != nil {
			return err
		}
		if a.Status == domain.AppArchived {
			return errs.FailedPrecondition("APP_ARCHIVED", "the app is archived: nothing is provisioned for it")
		}
		now := s.now()
		c, err := tx.GetAppConnector(ctx, appID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			c = domain.AppConnector{AppID: appID, CreateTime: now}
		case err != nil:
			return err
		}
		shown = ""
		switch {
		case given != nil:
			c.SealedSecret = s.box.Seal(connectorSealName(appID), given)
		case in.Rotate || c.SealedSecret == nil:
			secret := stdwebhook.NewSecret()
			c.SealedSecret, shown = s.box.Seal(connectorSealName(appID), secret), stdwebhook.FormatSecret(secret)
		}
		c.URL, c.UpdatedBy, c.UpdateTime = in.URL, sub.UserID, now
		if err := tx.PutAppConnector(ctx, c); err != nil {
			return err
		}
		out = c
		return s.emit(ctx, tx, "app.connector.set", "apps/"+appID, &eventsv1.AppChanged{
			AppId: appID, Name: a.Name, ConnectorUrl: stdwebhook.Redact(c.URL), ConnectorSecretGenerated: shown != "",
		})
	})
	return out, shown, err
}

// GetAppConnector returns the app's connector, never its secret (an owner of the app,
// Admin, GM).
func (s *Service) GetAppConnector(ctx context.Context, appID string) (domain.AppConnector, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return domain.AppConnector{}, err
	}
	if _, err := s.connectorApp(ctx, s.store, sub, appID); err != nil {
		return domain.AppConnector{}, err
	}
	c, err := s.store.GetAppConnector(ctx, appID)
	if errors.Is(err, store.ErrNotFound) {
		return c, errs.NotFound("connector of app", appID)
	}
	return c, err
}

// DeleteAppConnector removes the app's connector (an owner of the app, Admin, GM): the
// agent then records the app's changes in the directory only.
func (s *Service) DeleteAppConnector(ctx context.Context, appID string) error {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return err
	}
	return s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		a, err := s.connectorApp(ctx, tx, sub, appID)
		if err != nil {
			return err
		}
		if err := tx.DeleteAppConnector(ctx, appID); errors.Is(err, store.ErrNotFound) {
			return errs.NotFound("connector of app", appID)
		} else if err != nil {
			return err
		}
		return s.emit(ctx, tx, "app.connector.deleted", "apps/"+appID, &eventsv1.AppChanged{AppId: appID, Name: a.Name})
	})
}

// AppConnectorSecret returns the app's connector URL and its secret, opened (internal:
// the system agent). NOT_FOUND when the app has none.
func (s *Service) AppConnectorSecret(ctx context.Context, appID string) (string, []byte, error) {
	if p, ok := auth.FromContext(ctx); !ok || !p.Internal {
		return "", nil, errs.PermissionDenied("this call is internal to Grantflow")
	}
	c, err := s.store.GetAppConnector(ctx, appID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, errs.NotFound("connector of app", appID)
	}
	if err != nil {
		return "", nil, err
	}
	secret, err := s.box.Open(connectorSealName(appID), c.SealedSecret)
	if err != nil {
		// Another GRANTFLOW_SECRETS_KEY than the one that sealed it: an operator's error,
		// not the caller's; the agent hands the task to the owners.
		return "", nil, errs.FailedPrecondition("CONNECTOR_SECRET_UNREADABLE", "the connector's secret does not open with this GRANTFLOW_SECRETS_KEY; set the connector's secret again")
	}
	return c.URL, secret, nil
}

// connectorApp reads the app and checks that sub may set up its provisioning: a missing
// app is NOT_FOUND, anyone but its owners, Admin and GM PERMISSION_DENIED.
func (s *Service) connectorApp(ctx context.Context, r store.Reader, sub authz.Subject, appID string) (domain.App, error) {
	a, err := r.GetApp(ctx, appID)
	if err != nil {
		return a, appkit.NotFound(err, "app", appID)
	}
	return a, deny(authz.Check(sub, authz.SetUpAutoProvisioning, authz.Resource{AppOwnerIDs: a.OwnerIDs}))
}
