package testenv

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"
)

const (
	// PostgresURLEnv names the variable that overrides [DefaultPostgresURL].
	PostgresURLEnv = "GRANTFLOW_TEST_POSTGRES_URL"
	// RedisURLEnv names the variable that overrides [DefaultRedisURL].
	RedisURLEnv = "GRANTFLOW_TEST_REDIS_URL"

	// DefaultPostgresURL is the PostgreSQL server of the project's machines and CI.
	DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres"
	// DefaultRedisURL is the Redis server of the project's machines and CI.
	DefaultRedisURL = "redis://127.0.0.1:6379/0"

	probeTimeout = 30 * time.Second
)

// Integration marks t as an integration-tier test: it is skipped under `go test -short`.
// [PostgresURL] and [RedisURL] call it, so tests using them need not.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration tier: skipped under -short")
	}
}

// PostgresURL returns the URL of the test PostgreSQL server (an administrative database on
// it; create per-test databases with package pgtest). It skips or fails t when the server
// does not answer.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return postgres.url(t)
}

// RedisURL returns the URL of the test Redis server. It skips or fails t when the server does
// not answer.
func RedisURL(t testing.TB) string {
	t.Helper()
	return redis.url(t)
}

var (
	postgres = &server{name: "PostgreSQL", env: PostgresURLEnv, def: DefaultPostgresURL, probe: probePostgres}
	redis    = &server{name: "Redis", env: RedisURLEnv, def: DefaultRedisURL, probe: probeRedis}
)

// server is one integration dependency, probed at most once per process.
type server struct {
	name  string
	env   string
	def   string
	probe func(ctx context.Context, url string) error

	once sync.Once
	addr string
	err  error
}

func (s *server) url(t testing.TB) string {
	t.Helper()
	Integration(t)
	s.once.Do(func() {
		s.addr = os.Getenv(s.env)
		if s.addr == "" {
			s.addr = s.def
		}
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		defer cancel()
		s.err = s.probe(ctx, s.addr)
	})
	if s.err != nil {
		unreachable(t, s.name, s.addr, s.env, s.err)
	}
	return s.addr
}

// unreachable fails t in CI and skips it, loudly, elsewhere.
func unreachable(t testing.TB, name, url, env string, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s not reachable at %s (%v); set %s", name, url, err, env)
	if os.Getenv("CI") == "true" {
		t.Fatalf("INTEGRATION TIER FAILED (CI=true): %s", msg)
	}
	t.Skipf("INTEGRATION TIER SKIPPED: %s", msg)
}
