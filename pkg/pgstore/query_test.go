package pgstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// TestErrorsWrapMapsPostgresAnswers: no row is the store's NotFound, a unique violation its
// Conflict (naming the constraint), anything else is kept, and each names the operation.
func TestErrorsWrapMapsPostgresAnswers(t *testing.T) {
	notFound, conflict := errors.New("not found"), errors.New("conflict")
	e := Errors{Store: "test store", NotFound: notFound, Conflict: conflict}
	if err := e.Wrap("get thing", pgx.ErrNoRows); !errors.Is(err, notFound) || !strings.Contains(err.Error(), "test store: get thing") {
		t.Errorf("no rows: %v", err)
	}
	if err := e.Wrap("put thing", &pgconn.PgError{Code: "23505", ConstraintName: "things_pkey"}); !errors.Is(err, conflict) || !strings.Contains(err.Error(), "things_pkey") {
		t.Errorf("unique violation: %v", err)
	}
	other := &pgconn.PgError{Code: "23503"}
	if err := e.Wrap("put thing", other); !errors.Is(err, other) || errors.Is(err, conflict) {
		t.Errorf("foreign key violation: %v", err)
	}
	if e.Wrap("x", nil) != nil {
		t.Error("nil is not nil")
	}
}
