package auth

import (
	"context"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/grantflow/grantflow/pkg/errs"
)

// FailureLimiter limits failed and unauthenticated calls per client address, before any
// credential is looked at: a loop guessing API keys (an operator's short bootstrap key)
// gets RESOURCE_EXHAUSTED / 429 after a burst of failures, at a few guesses a minute from
// then on. Successful calls cost nothing. One token bucket (x/time/rate) per address, in
// this process; a nil *FailureLimiter limits nothing.
type FailureLimiter struct {
	every rate.Limit
	burst int
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

// maxClients bounds the table: past it, everyone is forgotten rather than memory growing
// without end (an attacker with that many addresses is not slowed by this limit anyway).
const maxClients = 100_000

// NewFailureLimiter allows perMinute failures per client address per minute, in bursts
// of perMinute. perMinute <= 0 returns nil: no limit.
func NewFailureLimiter(perMinute int) *FailureLimiter {
	if perMinute <= 0 {
		return nil
	}
	return &FailureLimiter{every: rate.Limit(float64(perMinute) / 60), burst: perMinute, now: time.Now, clients: map[string]*rate.Limiter{}}
}

// WithRefill gives back one failure every d instead of perMinute's pace (tests use a
// slow refill, so that a busy machine cannot refill the bucket mid-test).
func (l *FailureLimiter) WithRefill(d time.Duration) *FailureLimiter {
	l.every = rate.Every(d)
	return l
}

func (l *FailureLimiter) bucket(addr string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.clients[addr]
	if !ok {
		if len(l.clients) >= maxClients {
			l.clients = map[string]*rate.Limiter{}
		}
		b = rate.NewLimiter(l.every, l.burst)
		l.clients[addr] = b
	}
	return b
}

// Blocked reports whether addr has used up its failures, and when it may try again.
func (l *FailureLimiter) Blocked(addr string) (bool, time.Duration) {
	if l == nil {
		return false, 0
	}
	tokens := l.bucket(addr).TokensAt(l.now())
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) / float64(l.every) * float64(time.Second))
}

// Failed records a failed or unauthenticated call from addr.
func (l *FailureLimiter) Failed(addr string) {
	if l == nil {
		return
	}
	l.bucket(addr).AllowN(l.now(), 1)
}

// Refusal is the error of a blocked address, telling when to retry.
func Refusal(retry time.Duration) error {
	s := strconv.Itoa(int(math.Ceil(retry.Seconds())))
	return errs.ResourceExhausted("TOO_MANY_FAILED_AUTHENTICATIONS",
		"too many failed or unauthenticated calls from this address; retry in "+s+" s").With("retryAfterSeconds", s)
}

// Unauthenticated reports whether err is an UNAUTHENTICATED answer (a domain error or a
// status from another service): what counts as a failure.
func Unauthenticated(err error) bool {
	return err != nil && (errs.Is(err, errs.KindUnauthenticated) || status.Code(err) == codes.Unauthenticated)
}

// ClientAddr is the host of a "host:port" remote address (the whole string if it has no port).
func ClientAddr(remote string) string {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host
	}
	return remote
}

// peerAddr is the client address of an incoming gRPC call.
func peerAddr(ctx context.Context) string {
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		return ClientAddr(p.Addr.String())
	}
	return ""
}
