package memory

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/audit/internal/store/storetest"
)

func TestContract(t *testing.T) { storetestkit.Suite(t, storetestkit.PerTest(New), storetest.Cases{}) }
