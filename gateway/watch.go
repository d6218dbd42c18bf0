package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/status"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

// watchSuffix ends the path of a watch (GET /v1/requests/{id}:watch): a server stream
// that lasts as long as the watched thing changes, one JSON line per change.
const watchSuffix = ":watch"

// longStreams lifts the server's write deadline, sized for ordinary calls, from watches: a
// watch waits for changes for as long as the client stays. (A watch cut anyway, by a
// proxy or a restart, resumes from the last version the client received.)
func longStreams() runtime.Middleware {
	return func(next runtime.HandlerFunc) runtime.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
			if isWatch(r) {
				_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
			}
			next(w, r, params)
		}
	}
}

// isWatch reports whether r is a watch.
func isWatch(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, watchSuffix)
}

// recheckWatch is r with a context that ends once cred no longer authenticates userID,
// asked every `every` while the watch lasts (auth.WhileAuthenticated): the service behind
// sees only the gateway's internal token, so the gateway, which holds the credential, checks
// it. An offboarded user, or a revoked key, loses the watch with UNAUTHENTICATED
// (watchErrors). Call done when the watch ends.
func recheckWatch(r *http.Request, a auth.Authenticator, cred, userID string, every time.Duration) (_ *http.Request, done func()) {
	ctx, done := auth.WhileAuthenticated(r.Context(), r.Context(), a, cred, userID, every)
	return r.WithContext(ctx), done
}

// watchErrors is the gateway's stream error handler: a watch ended because its credential
// no longer authenticates ends with that refusal ({"error": {"code": 16, ...}}), not as
// cancelled; any other error as grpc-gateway's default handler says.
func watchErrors(ctx context.Context, err error) *status.Status {
	if revoked := auth.Revoked(ctx); revoked != nil {
		return errs.ToStatus(ctx, nil, revoked)
	}
	return runtime.DefaultStreamErrorHandler(ctx, err)
}
