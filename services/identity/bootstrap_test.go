package identity_test

import (
	"context"
	"log/slog"
	"testing"

	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/identity"
)

// TestANewBootstrapKeyRevokesThePreviousOne: restarting with another
// GRANTFLOW_BOOTSTRAP_ADMIN_KEY revokes the one before (an operator rotates a guessed or
// leaked break-glass key by changing the setting), and the old key cannot come back.
func TestANewBootstrapKeyRevokesThePreviousOne(t *testing.T) {
	ctx := context.Background()
	db := pgtest.NewEmptyDatabase(t)
	const first, second = "gf_bootstrap_first_key_0123456789abcdef", "gf_bootstrap_second_key_0123456789abcdef"
	open := func(key string) (*identity.Service, error) {
		svc, err := identity.New(ctx, identity.Options{Settings: kit.Settings{Logger: slog.New(slog.DiscardHandler), PostgresURL: db}, BootstrapAdminKey: key, SecretsKey: testSecretsKey})
		if err == nil {
			t.Cleanup(svc.Close)
		}
		return svc, err
	}
	svc, err := open(first)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := svc.Authenticator().Authenticate(ctx, first); err != nil || p.UserID != "bootstrap-admin" {
		t.Fatalf("first key: %+v %v", p, err)
	}
	svc.Close()
	// The same key again changes nothing.
	if svc, err = open(first); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticator().Authenticate(ctx, first); err != nil {
		t.Fatalf("first key after a restart with it: %v", err)
	}
	svc.Close()

	if svc, err = open(second); err != nil {
		t.Fatal(err)
	}
	if p, err := svc.Authenticator().Authenticate(ctx, second); err != nil || p.UserID != "bootstrap-admin" {
		t.Fatalf("second key: %+v %v", p, err)
	}
	if _, err := svc.Authenticator().Authenticate(ctx, first); !errs.Is(err, errs.KindUnauthenticated) {
		t.Fatalf("the first key after the second was set: %v, want UNAUTHENTICATED", err)
	}
	svc.Close()
	if _, err := open(first); err == nil {
		t.Fatal("a revoked bootstrap key was accepted again at start")
	}
}
