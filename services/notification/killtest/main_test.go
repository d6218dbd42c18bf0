package killtest

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/proctest"
)

// TestMain builds nothing itself (the test does, once) and checks for leaks.
func TestMain(m *testing.M) { proctest.Main(m) }
