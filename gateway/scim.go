package gateway

import (
	"net/http"

	"github.com/grantflow/grantflow/gateway/scim"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// mountSCIM serves SCIM 2.0 at /scim/v2 (package scim) when identity is a backend.
func mountSCIM(root *http.ServeMux, o Options) error {
	c := o.Backends.Identity
	if c == nil {
		return nil
	}
	so := scim.Options{Logger: o.Logger.With("component", "scim"), Identity: identityv1.NewIdentityServiceClient(c), Authenticator: o.Authenticator}
	if o.Limiter != nil {
		so.Limiter = o.Limiter
	}
	h, err := scim.New(so)
	if err != nil {
		return err
	}
	root.Handle(scim.Prefix+"/", h)
	return nil
}
