package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"testing"

	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/pkg/testenv"
)

func randomKey() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// exhaust counts the calls allowed in a tight loop before the first refusal.
func exhaust(t *testing.T, l *Limiter, key string) int {
	t.Helper()
	for i := 0; i < 1000; i++ {
		ok, retry := l.Allow(context.Background(), key)
		if !ok {
			if retry <= 0 {
				t.Fatalf("refused without a retry time")
			}
			return i
		}
	}
	t.Fatal("never refused")
	return 0
}

func TestLimiterInRedis(t *testing.T) {
	rdb, err := rediscache.Open(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	a, b := NewLimiter(rdb, 5, 10, slog.New(slog.DiscardHandler)), NewLimiter(rdb, 5, 10, slog.New(slog.DiscardHandler))
	key := randomKey()
	// Two gateway replicas share one budget through Redis.
	n := exhaust(t, a, key)
	if ok, _ := b.Allow(context.Background(), key); ok {
		t.Fatal("the second replica did not see the first one's calls")
	}
	if n < 9 || n > 11 {
		t.Fatalf("burst of 10 allowed %d calls", n)
	}
	// Another principal has its own budget.
	if ok, _ := a.Allow(context.Background(), randomKey()); !ok {
		t.Fatal("one principal's calls limited another")
	}
}

func TestLimiterFallsBackInProcessWhenRedisIsDown(t *testing.T) {
	rdb, err := rediscache.Open("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	l := NewLimiter(rdb, 5, 10, slog.New(slog.DiscardHandler))
	if n := exhaust(t, l, "p1"); n < 9 || n > 11 {
		t.Fatalf("in-process burst of 10 allowed %d calls", n)
	}
}
