package postgres_test

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/notification/internal/store/postgres"
	"github.com/grantflow/grantflow/services/notification/internal/store/storetest"
)

func TestContract(t *testing.T) { storetest.Run(t, pgtest.Stores(postgres.Schema, postgres.New)) }

// TestOpen migrates an empty database through Open, the production path, twice.
func TestOpen(t *testing.T) { pgtest.OpenTwice(t, postgres.Open) }
