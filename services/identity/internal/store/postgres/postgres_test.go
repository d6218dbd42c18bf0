package postgres

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/identity/internal/store/storetest"
)

// TestContract runs the store contract on fresh databases, then migrates an empty one
// through Open, the production path, twice.
func TestContract(t *testing.T) {
	pgtest.Contract(t, Schema, New, Open, storetest.Cases{})
}
