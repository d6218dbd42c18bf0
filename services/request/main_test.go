package request_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind (servers, relays, pools).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
