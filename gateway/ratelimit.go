package gateway

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"
)

// Limiter limits calls per principal: in Redis (GCRA by redis_rate, shared by every
// gateway replica) when Redis answers, and in this process (x/time/rate) when it does
// not, so a Redis outage never turns into an outage of the API.
type Limiter struct {
	perSecond int
	burst     int
	shared    *redis_rate.Limiter
	log       *slog.Logger

	// downUntil (unix nanos) skips Redis for a moment after it failed, so an outage
	// costs one timeout per second rather than one per call.
	downUntil atomic.Int64

	mu    sync.Mutex
	local map[string]*rate.Limiter
}

// NewLimiter allows perSecond calls per principal with bursts of burst. rdb may be nil.
func NewLimiter(rdb *redis.Client, perSecond, burst int, log *slog.Logger) *Limiter {
	l := &Limiter{perSecond: perSecond, burst: burst, log: log, local: map[string]*rate.Limiter{}}
	if rdb != nil {
		l.shared = redis_rate.NewLimiter(rdb)
	}
	return l
}

// Allow reports whether key may make a call now, and if not, when to retry.
func (l *Limiter) Allow(ctx context.Context, key string) (bool, time.Duration) {
	if l.shared != nil && time.Now().UnixNano() > l.downUntil.Load() {
		ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		res, err := l.shared.Allow(ctx, "gf:ratelimit:"+key, redis_rate.Limit{Rate: l.perSecond, Burst: l.burst, Period: time.Second})
		cancel()
		if err == nil {
			return res.Allowed > 0, res.RetryAfter
		}
		l.downUntil.Store(time.Now().Add(time.Second).UnixNano())
		l.log.WarnContext(ctx, "rate limit: redis unavailable, limiting in process for a second", "error", err.Error())
	}
	l.mu.Lock()
	lim, ok := l.local[key]
	if !ok {
		if len(l.local) > 100_000 { // bounded: forget everyone rather than grow without end
			l.local = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Limit(l.perSecond), l.burst)
		l.local[key] = lim
	}
	l.mu.Unlock()
	r := lim.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		return false, d
	}
	return true, 0
}
