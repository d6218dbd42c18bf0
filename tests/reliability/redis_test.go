package reliability_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/grantflow/grantflow/pkg/proctest"
)

// redisServerEnv overrides the redis-server binary the tests start (default: from PATH).
const redisServerEnv = "GRANTFLOW_TEST_REDIS_SERVER"

// redisServer is a redis-server of the test's own, on a free port, nothing kept on disk. The
// shared Redis of the machine (and of CI) is never stopped: the tests that take Redis away
// take away this one.
type redisServer struct {
	t    *testing.T
	proc *proctest.Process
	addr string
	url  string
}

// startRedis starts a redis-server of t's own. Without the binary the test is skipped
// loudly, or fails under CI=true, as testenv does for the shared servers.
func startRedis(t *testing.T) *redisServer {
	t.Helper()
	bin := os.Getenv(redisServerEnv)
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("redis-server"); err != nil {
			msg := fmt.Sprintf("redis-server not found (%v); install it or set %s", err, redisServerEnv)
			if os.Getenv("CI") == "true" {
				t.Fatalf("INTEGRATION TIER FAILED (CI=true): %s", msg)
			}
			t.Skipf("INTEGRATION TIER SKIPPED: %s", msg)
		}
	}
	addr := proctest.FreeAddr(t)
	host, port, _ := strings.Cut(addr, ":")
	r := &redisServer{t: t, addr: addr, url: "redis://" + addr + "/0"}
	r.proc = proctest.New(t, "redis", bin, proctest.BaseEnv(),
		"--bind", host, "--port", port, "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--daemonize", "no", "--protected-mode", "no")
	r.start()
	return r
}

// start starts the server and waits until it answers.
func (r *redisServer) start() {
	r.t.Helper()
	r.proc.Start()
	proctest.Poll(r.t, 30*time.Second, "redis-server to answer PING", func() (bool, string) {
		if err := r.proc.Exited(); err != nil {
			r.t.Fatal(err)
		}
		err := r.ping()
		return err == nil, fmt.Sprint(err)
	})
}

// kill stops the server at once (SIGKILL, like a crash): connections are refused until start.
func (r *redisServer) kill() {
	r.t.Helper()
	r.proc.Kill9()
}

func (r *redisServer) client() *goredis.Client {
	return goredis.NewClient(&goredis.Options{Addr: r.addr, MaxRetries: -1, DialTimeout: time.Second})
}

func (r *redisServer) ping() error {
	c := r.client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return c.Ping(ctx).Err()
}

// keys counts the keys whose name starts with prefix.
func (r *redisServer) keys(prefix string) int {
	r.t.Helper()
	c := r.client()
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n := 0
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		n++
	}
	if err := iter.Err(); err != nil {
		r.t.Fatalf("scan redis keys %s*: %v", prefix, err)
	}
	return n
}
