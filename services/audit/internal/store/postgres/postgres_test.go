package postgres_test

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/audit/internal/store/postgres"
	"github.com/grantflow/grantflow/services/audit/internal/store/storetest"
)

func newDB(t testing.TB) *pgstore.DB {
	return pgtest.NewDatabase(t, postgres.Schema.Options(""))
}

// TestContract runs the store contract on fresh databases, then migrates an empty one
// through Open, the production path, twice.
func TestContract(t *testing.T) {
	pgtest.Contract(t, postgres.Schema, postgres.New, postgres.Open, storetest.Cases{})
}
