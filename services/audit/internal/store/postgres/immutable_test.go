package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
	"github.com/grantflow/grantflow/services/audit/internal/store/postgres"
)

// TestTheLogRefusesUpdateAndDelete: raw SQL, even as superuser, cannot change or remove a
// row of the log, its checkpoints or its signing key; only switching user triggers off
// (session_replication_role, superuser only) gets past, which the tamper test covers.
func TestTheLogRefusesUpdateAndDelete(t *testing.T) {
	ctx := t.Context()
	s := postgres.New(newDB(t))
	var h domain.Hasher
	e := domain.Event{Seq: 1, ID: "e1", Time: time.Now().UTC().Truncate(time.Microsecond), Service: "s", Action: "a", Subject: "x", IngestTime: time.Now().UTC().Truncate(time.Microsecond)}
	h.Seal(&e, domain.Hash{})
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.Insert(ctx, []domain.Event{e}); err != nil {
			return err
		}
		_, err := tx.AddCheckpoint(ctx, domain.Checkpoint{Seq: 1, HeadHash: e.Hash, Time: e.IngestTime, KeyID: "k", Signature: []byte("s")})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SigningSeed(ctx, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}

	conn, err := pgx.Connect(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range []string{
		"UPDATE audit.events SET actor_id = 'mallory'",
		"UPDATE audit.events SET seq = 2 WHERE seq = 1",
		"DELETE FROM audit.events",
		"TRUNCATE audit.events",
		"UPDATE audit.checkpoints SET head_hash = head_hash",
		"DELETE FROM audit.checkpoints",
		"TRUNCATE audit.checkpoints",
		"UPDATE audit.signing_key SET seed = seed",
		"DELETE FROM audit.signing_key",
		"TRUNCATE audit.signing_key CASCADE",
	} {
		_, err := conn.Exec(ctx, q)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "42501" || !strings.Contains(pgErr.Message, "append-only") {
			t.Errorf("%s: %v, want the append-only refusal", q, err)
		}
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM audit.events WHERE actor_id = ''").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the event changed: %d rows as stored, %v", n, err)
	}

	// Only a superuser who switches user triggers off gets past, inside a transaction here.
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	if tag, err := tx.Exec(ctx, "UPDATE audit.events SET actor_id = 'mallory'"); err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("with triggers off: %v %v", tag, err)
	}
}
