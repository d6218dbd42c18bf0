package identitytest

import (
	"context"
	"log/slog"
	"testing"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/services/identity"
)

// Start runs identity until the test ends and returns its public client (for people's
// API keys) and its internal client as another service calls it (the caller in the
// context travels as an internal token signed by signer).
func Start(t testing.TB, signer *auth.Signer, bootstrapKey string) (identityv1.IdentityServiceClient, identityv1.IdentityInternalServiceClient) {
	t.Helper()
	svc, err := identity.New(context.Background(), identity.Options{Settings: kit.Settings{Logger: slog.New(slog.DiscardHandler)}, BootstrapAdminKey: bootstrapKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	srv := servicetest.Server(t, signer, svc.Authenticator(), kit.InternalMethod)
	svc.Register(srv)
	dialer := servicetest.Listen(t, srv)
	return identityv1.NewIdentityServiceClient(servicetest.Dial(t, dialer)),
		identityv1.NewIdentityInternalServiceClient(servicetest.Dial(t, dialer, servicetest.AsService(signer)...))
}
