package servicetest

import (
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/proctest"
)

// Hang is how long [Eventually] and [Await] wait: a deadline that only bounds a hang.
const Hang = 60 * time.Second

// Eventually calls cond every few milliseconds until it holds (what the services do
// through their outboxes is asynchronous by design). It fails t when cond has not held
// after [Hang], or at once when t has failed meanwhile.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Await(t, what, func() (bool, string) { return cond(), "" })
}

// Await is [Eventually] with cond's state, which the failure reports.
func Await(t testing.TB, what string, cond func() (done bool, state string)) {
	t.Helper()
	proctest.Poll(t, Hang, what, cond)
}
