package gateway

import (
	"math"
	"net/http"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

// limitFailures refuses, with 429 and Retry-After, every API call from a client address
// that made too many failed or unauthenticated calls, before its credential is looked at;
// each 401 the call below answers counts against the address. The address is the TCP
// peer's (a proxy in front must keep the limit itself, or every client shares its bucket).
func limitFailures(l *auth.FailureLimiter, fail func(http.ResponseWriter, *http.Request, error)) runtime.Middleware {
	return func(next runtime.HandlerFunc) runtime.HandlerFunc {
		if l == nil {
			return next
		}
		return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
			addr := auth.ClientAddr(r.RemoteAddr)
			if blocked, retry := l.Blocked(addr); blocked {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
				fail(w, r, errs.ToStatus(r.Context(), nil, auth.Refusal(retry)).Err())
				return
			}
			rec := &statusRecorder{ResponseWriter: w}
			next(rec, r, params)
			if rec.code == http.StatusUnauthorized {
				l.Failed(addr)
			}
		}
	}
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets streamed answers (the audit export) through.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the writer below.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
