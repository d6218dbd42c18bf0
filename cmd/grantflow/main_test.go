package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves goroutines behind: every server, relay,
// checkpointer and connection the all-in-one process starts must stop at its shutdown.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
