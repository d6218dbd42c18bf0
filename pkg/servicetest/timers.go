package servicetest

import (
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/timer"
)

// Tick moves clock, a service's manual clock, by d, fires the timers then due with fire,
// and fails t unless want of them fired; when says at what point, for the failure.
func Tick(t testing.TB, clock *timer.ManualClock, d time.Duration, fire func() int, want int, when string) {
	t.Helper()
	clock.Advance(d)
	if n := fire(); n != want {
		t.Fatalf("%d timers fired %s, want %d", n, when, want)
	}
}
