package pgstore

import (
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/pkg/storekit"
)

// TestErrorsWrapMapsPostgresAnswers: no row is the store's NotFound, a unique violation its
// Conflict (naming the constraint), anything else is kept, and each names the operation.
func TestErrorsWrapMapsPostgresAnswers(t *testing.T) {
	notFound, conflict := errors.New("not found"), errors.New("conflict")
	immutable := errors.New("immutable")
	e := Errors{Store: "test store", NotFound: notFound, Conflict: conflict, Codes: map[string]error{"GF001": immutable}}
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
	if err := e.Wrap("put thing", &pgconn.PgError{Code: "GF001", Message: "row is frozen"}); !errors.Is(err, immutable) || !strings.Contains(err.Error(), "row is frozen") {
		t.Errorf("mapped code: %v", err)
	}
	if e.Wrap("x", nil) != nil {
		t.Error("nil is not nil")
	}
}

// TestErrorsDefaultToTheKitsSentinels: a store that names no sentinels answers with
// storekit's, which every service's store re-exports.
func TestErrorsDefaultToTheKitsSentinels(t *testing.T) {
	e := Errors{Store: "test store"}
	if err := e.Wrap("get thing", pgx.ErrNoRows); !errors.Is(err, storekit.ErrNotFound) {
		t.Errorf("no rows: %v", err)
	}
	if err := e.Wrap("put thing", &pgconn.PgError{Code: "23505"}); !errors.Is(err, storekit.ErrConflict) {
		t.Errorf("unique violation: %v", err)
	}
}

// TestRowCountOutcomes: an INSERT that inserted nothing is Conflict, a DELETE that deleted
// nothing NotFound; an error is wrapped either way.
func TestRowCountOutcomes(t *testing.T) {
	notFound, conflict := errors.New("not found"), errors.New("conflict")
	e := Errors{Store: "test store", NotFound: notFound, Conflict: conflict}
	none, one := pgconn.NewCommandTag("INSERT 0 0"), pgconn.NewCommandTag("INSERT 0 1")
	if err := e.Inserted("add", none, nil); !errors.Is(err, conflict) {
		t.Errorf("Inserted none: %v", err)
	}
	if err := e.Inserted("add", one, nil); err != nil {
		t.Errorf("Inserted one: %v", err)
	}
	if err := e.Affected("drop", pgconn.NewCommandTag("DELETE 0"), nil); !errors.Is(err, notFound) {
		t.Errorf("Affected none: %v", err)
	}
	if err := e.Affected("drop", pgconn.NewCommandTag("DELETE 1"), nil); err != nil {
		t.Errorf("Affected one: %v", err)
	}
	if err := e.Affected("drop", none, pgx.ErrNoRows); !errors.Is(err, notFound) {
		t.Errorf("Affected error: %v", err)
	}
	if err := e.InsertedCount("add", 0, nil); !errors.Is(err, conflict) {
		t.Errorf("InsertedCount none: %v", err)
	}
	if err := e.InsertedCount("add", 1, nil); err != nil {
		t.Errorf("InsertedCount one: %v", err)
	}
	if err := e.InsertedCount("add", 0, notFound); !errors.Is(err, notFound) {
		t.Errorf("InsertedCount error: %v", err)
	}
}
