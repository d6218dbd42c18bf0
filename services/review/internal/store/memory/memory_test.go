package memory_test

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/review/internal/store/memory"
	"github.com/grantflow/grantflow/services/review/internal/store/storetest"
)

func TestContract(t *testing.T) { storetest.Run(t, storetestkit.PerTest(memory.New)) }
