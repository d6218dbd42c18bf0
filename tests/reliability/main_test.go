package reliability_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/grantflow/grantflow/pkg/proctest"
)

// TestMain removes the built binaries after the tests, and fails the package when a test
// leaves goroutines behind (load workers, pools, client connections).
func TestMain(m *testing.M) {
	proctest.Main(m, goleak.IgnoreTopFunction("github.com/jackc/pgx/v5/pgxpool.(*Pool).backgroundHealthCheck"))
}
