package pgstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/storekit"
)

type stamped struct {
	ID      int
	At, End time.Time
}

var scanStamped = pgstore.Fields(func(s *stamped) []any { return []any{&s.ID, &s.At, pgstore.ZeroIfNull(&s.End)} })

func TestFieldsScanTimesInUTCAndNullAsZero(t *testing.T) {
	db := pgtest.NewDatabase(t, pgstore.Options{Schema: "scantest"})
	at := time.Date(2026, 3, 1, 12, 30, 0, 0, time.FixedZone("east", 3*3600))
	got, err := pgstore.All(t.Context(), db.Q(), "read", scanStamped,
		"SELECT * FROM (VALUES (1, $1::timestamptz, NULL::timestamptz), (2, $1, $1)) AS v ORDER BY 1", at)
	if err != nil {
		t.Fatal(err)
	}
	want := []stamped{{1, at.UTC(), time.Time{}}, {2, at.UTC(), at.UTC()}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("rows = %v, want %v (UTC, zero for NULL)", got, want)
	}
}

func TestDBErrorsNameTheStoreAndMapTheSchemaCodes(t *testing.T) {
	guarded := errors.New("guarded")
	db := pgtest.NewDatabase(t, pgstore.Options{Schema: "codetest", Codes: map[string]error{"GF001": guarded}})
	_, err := pgstore.One(t.Context(), db.Q(), "read", pgx.RowTo[int], "SELECT 1 WHERE false")
	if !errors.Is(err, storekit.ErrNotFound) || !strings.HasPrefix(err.Error(), "codetest store: read: ") {
		t.Fatalf("no row: %v", err)
	}
	_, err = db.Q().Exec(t.Context(), "DO $$ BEGIN RAISE EXCEPTION 'no' USING ERRCODE = 'GF001'; END $$")
	if err = db.Q().Wrap("guard", err); !errors.Is(err, guarded) || !strings.HasPrefix(err.Error(), "codetest store: guard: ") {
		t.Fatalf("guard trigger's code: %v", err)
	}
}
