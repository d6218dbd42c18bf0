package distributed_test

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/proctest"
)

// TestMain removes the built binaries after the tests, and fails the package when a test
// leaves goroutines behind.
func TestMain(m *testing.M) { proctest.Main(m) }
