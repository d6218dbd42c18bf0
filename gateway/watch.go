package gateway

import (
	"net/http"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
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
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, watchSuffix) {
				_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
			}
			next(w, r, params)
		}
	}
}
