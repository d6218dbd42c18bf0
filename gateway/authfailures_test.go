package gateway

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/auth"
)

// TestFailedAuthenticationsAreLimitedPerAddress: after its burst of 401s, a client address
// gets 429 with Retry-After for every API call, a good credential included, before any
// credential is looked at; calls with good credentials cost nothing; without the limiter
// a loop of bad keys keeps getting 401 (it could go on guessing).
func TestFailedAuthenticationsAreLimitedPerAddress(t *testing.T) {
	const burst = 5
	hs := newGatewayWith(t, &fakeAudit{}, nil, func(o *Options) { o.AuthFailures = auth.NewFailureLimiter(burst).WithRefill(time.Hour) })
	for range 3 * burst {
		if res, body := get(t, hs, "/v1/tasks", "good"); res.StatusCode != http.StatusOK {
			t.Fatalf("a good credential: %d %s", res.StatusCode, body)
		}
	}
	for i := range burst {
		cred := "guess-" + strconv.Itoa(i)
		if i%2 == 1 {
			cred = "" // no credentials count too
		}
		if res, body := get(t, hs, "/v1/tasks", cred); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d %s", i, res.StatusCode, body)
		}
	}
	for _, cred := range []string{"guess-next", "good"} {
		res, body := get(t, hs, "/v1/tasks", cred)
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("after %d failures, credential %q: %d %s, want 429", burst, cred, res.StatusCode, body)
		}
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Errorf("Retry-After %q", res.Header.Get("Retry-After"))
		}
	}
	// Health and metrics stay reachable.
	if res, _ := get(t, hs, "/healthz", ""); res.StatusCode != http.StatusOK {
		t.Errorf("/healthz: %d", res.StatusCode)
	}

	open := newGatewayWith(t, &fakeAudit{}, nil, nil)
	for i := range 3 * burst {
		if res, _ := get(t, open, "/v1/tasks", "guess-"+strconv.Itoa(i)); res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("without a limiter, guess %d: %d", i, res.StatusCode)
		}
	}
}
