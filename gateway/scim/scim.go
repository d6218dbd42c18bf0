package scim

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	"google.golang.org/grpc/metadata"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/auth"
)

// Prefix is where the gateway serves SCIM.
const Prefix = "/scim/v2"

// ContentType is SCIM's media type (RFC 7644 section 3.1).
const ContentType = "application/scim+json"

// Limiter limits calls per principal (the gateway's).
type Limiter interface {
	Allow(ctx context.Context, key string) (bool, time.Duration)
}

// Options configure the SCIM handler.
type Options struct {
	Logger *slog.Logger
	// Identity is identity's public API; every call is made as the caller.
	Identity identityv1.IdentityServiceClient
	// Authenticator turns the bearer credential into the principal.
	Authenticator auth.Authenticator
	// Limiter, if set, limits calls per principal (429 with Retry-After).
	Limiter Limiter
}

// maxResults is the largest page a client gets, whatever count it asks for.
const maxResults = 200

var allowStrings sync.Once

// New returns the handler of everything under Prefix.
func New(o Options) (http.Handler, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	// Entra ID sends booleans as the strings "True" and "False"; the library accepts them
	// (for every boolean, integer and decimal attribute) only with this process-wide switch.
	allowStrings.Do(func() { schema.SetAllowStringValues(true) })

	users := &userHandler{id: o.Identity}
	groups := &groupHandler{id: o.Identity}
	server, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{
			AuthenticationSchemes: []scim.AuthenticationScheme{{
				Type: scim.AuthenticationTypeOauthBearerToken, Name: "Bearer API key",
				Description: "Authorization: Bearer <API key of an Admin or the General Manager>", Primary: true,
			}},
			MaxResults:       maxResults,
			SupportFiltering: true,
			SupportPatch:     true,
		},
		ResourceTypes: []scim.ResourceType{
			{
				ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
				Description: optional.NewString("A person in Grantflow's directory"),
				Schema:      schema.CoreUserSchema(),
				SchemaExtensions: []scim.SchemaExtension{
					{Schema: schema.ExtensionEnterpriseUser()},
				},
				Handler: users,
			},
			{
				ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
				Description: optional.NewString("A group of users (policies assign review steps to groups)"),
				Schema:      schema.CoreGroupSchema(),
				Handler:     groups,
			},
		},
	}, scim.WithBaseURL(Prefix), scim.WithLogger(logger{o.Logger}))
	if err != nil {
		return nil, err
	}
	// The library routes paths that start with /v2.
	var h http.Handler = http.StripPrefix(strings.TrimSuffix(Prefix, "/v2"), server)
	h = normalize(h)
	return authenticate(o, h), nil
}

// authenticate admits an Admin or the General Manager: no or bad credentials are 401, any
// other caller 403, both as SCIM error bodies.
func authenticate(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		const prefix = "bearer "
		if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) || strings.TrimSpace(h[len(prefix):]) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="grantflow-scim"`)
			writeError(w, scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "missing credentials: send Authorization: Bearer <API key>"})
			return
		}
		p, err := o.Authenticator.Authenticate(r.Context(), strings.TrimSpace(h[len(prefix):]))
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="grantflow-scim", error="invalid_token"`)
			writeError(w, scimerrors.ScimError{Status: http.StatusUnauthorized, Detail: "unknown, revoked or expired credential"})
			return
		}
		if p.Role != identityv1.Role_ADMIN && p.Role != identityv1.Role_GENERAL_MANAGER {
			writeError(w, scimerrors.ScimError{Status: http.StatusForbidden, Detail: "not allowed: SCIM provisioning is for an Admin or the General Manager"})
			return
		}
		if o.Limiter != nil {
			if ok, retry := o.Limiter.Allow(r.Context(), p.UserID); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
				writeError(w, scimerrors.ScimError{Status: http.StatusTooManyRequests, Detail: "too many calls; retry after the Retry-After header's seconds"})
				return
			}
		}
		ctx := auth.WithPrincipal(r.Context(), p)
		if id := r.Header.Get("X-Request-Id"); id != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", id)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func writeError(w http.ResponseWriter, e scimerrors.ScimError) {
	raw, _ := json.Marshal(e)
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(e.Status)
	_, _ = w.Write(raw)
}

type logger struct{ log *slog.Logger }

func (l logger) Error(args ...any) { l.log.Error("scim", "detail", args) }
