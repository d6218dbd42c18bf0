package proctest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	mathrand "math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FreeAddr returns a loopback address whose port is free and lies below the kernel's
// ephemeral range. A restarted server binds the same port again (Go listeners set
// SO_REUSEADDR, so a dead listener's connections do not block it). A port from the
// ephemeral range could meanwhile be taken as the source port of some outgoing connection,
// e.g. a client's reconnection attempt to it, and the restart would fail with "address
// already in use".
func FreeAddr(t testing.TB) string {
	t.Helper()
	low := ephemeralLow()
	const first = 10000
	for range 200 {
		port := first + mathrand.IntN(max(1, low-first))
		lis, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken: try another
		}
		addr := lis.Addr().String()
		if err := lis.Close(); err != nil {
			t.Fatal(err)
		}
		return addr
	}
	t.Fatalf("no free port found between %d and %d", first, low)
	return ""
}

// ephemeralLow is the first port Linux hands out to outgoing connections (32768 when it
// cannot be read).
func ephemeralLow() int {
	raw, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	fields := strings.Fields(string(raw))
	if len(fields) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(fields[0])
	if err != nil {
		return 32768
	}
	return n
}

// BaseEnv is the test's environment without the settings the processes get from the test
// (a developer's own GRANTFLOW_* or OTEL_* must not leak into them), with tracing off
// (OTEL_TRACES_EXPORTER=none), followed by extra. A later entry wins over an earlier one of
// the same name, so a test may turn tracing back on.
func BaseEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "GRANTFLOW_") || strings.HasPrefix(kv, "OTEL_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "OTEL_TRACES_EXPORTER=none")
	return append(env, extra...)
}

// PollEvery is how often Poll checks its condition.
const PollEvery = 10 * time.Millisecond

// Poll calls cond every PollEvery until it reports done. It fails the test with cond's
// last state when timeout has passed (a deadline only bounds a hang: give it 30 s or more),
// or at once when the test has failed meanwhile (e.g. a worker goroutine's t.Error).
func Poll(t testing.TB, timeout time.Duration, what string, cond func() (done bool, state string)) {
	t.Helper()
	PollUntil(t, time.Now().Add(timeout), what, cond)
}

// PollUntil is Poll with a deadline.
func PollUntil(t testing.TB, deadline time.Time, what string, cond func() (done bool, state string)) {
	t.Helper()
	tick := time.NewTicker(PollEvery)
	defer tick.Stop()
	Await(t, deadline, what, func() <-chan time.Time { return tick.C }, cond)
}

// Await calls cond until it reports done, looking again each time the channel next gave
// just before the look delivers (a tick, or a close that says something changed). It fails
// the test with cond's last state at deadline (a deadline only bounds a hang: give it 30 s
// or more), or at once when the test has failed meanwhile.
func Await[T any](t testing.TB, deadline time.Time, what string, next func() <-chan T, cond func() (done bool, state string)) {
	t.Helper()
	timeout := time.NewTimer(time.Until(deadline))
	defer timeout.Stop()
	for {
		wake := next() // before the look: what happens during it wakes the wait below
		done, state := cond()
		switch {
		case done:
			return
		case t.Failed():
			t.Fatalf("stopped waiting for %s: the test failed (%s)", what, state)
		}
		select {
		case <-wake:
		case <-timeout.C:
			t.Fatalf("timed out waiting for %s: %s", what, state)
		}
	}
}

// RandomHex returns n random bytes in hex: secrets and keys for the processes under test.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// SecretsKeyEnv is GRANTFLOW_SECRETS_KEY set to a fresh key (base64 of 32 random bytes): the
// identity and notification services need one on PostgreSQL to seal apps' connector secrets
// and webhooks' signing secrets.
func SecretsKeyEnv() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "GRANTFLOW_SECRETS_KEY=" + base64.StdEncoding.EncodeToString(b)
}
