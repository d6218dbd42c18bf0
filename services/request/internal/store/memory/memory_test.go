package memory

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/request/internal/store/storetest"
)

// TestMain fails the package when a test leaves goroutines behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestContract(t *testing.T) { storetestkit.Suite(t, storetestkit.PerTest(New), storetest.Cases{}) }
