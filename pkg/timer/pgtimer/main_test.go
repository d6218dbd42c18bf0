package pgtimer_test

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/proctest"
)

func TestMain(m *testing.M) {
	// The restart test runs a process: proctest.Main removes its binary and checks for
	// leaked goroutines as goleak.VerifyTestMain did.
	proctest.Main(m)
}
