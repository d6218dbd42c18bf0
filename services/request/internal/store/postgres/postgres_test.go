package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
	"github.com/grantflow/grantflow/services/request/internal/store/postgres"
	"github.com/grantflow/grantflow/services/request/internal/store/storetest"
)

func newStore(t testing.TB) *postgres.Store {
	return postgres.New(pgtest.NewDatabase(t, postgres.Schema.Options("")))
}

// TestContract runs the store contract on fresh databases, then migrates an empty one
// through Open, the production path, twice.
func TestContract(t *testing.T) {
	pgtest.Contract(t, postgres.Schema, postgres.New, postgres.Open, storetest.Cases{})
}

// TestIDsUseTheCCollation: ids order bytewise whatever the database's locale (the contract
// suite cannot tell on a server whose default collation already sorts bytewise).
func TestIDsUseTheCCollation(t *testing.T) {
	newStore(t)
	conn := connect(t)
	rows, err := conn.Query(t.Context(), `
		SELECT table_name || '.' || column_name, COALESCE(collation_name, '')
		FROM information_schema.columns
		WHERE table_schema = $1 AND table_name IN ('requests', 'request_viewers')
			AND column_name IN ('id', 'request_id', 'user_id')`, postgres.Schema.Name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
		var c [2]string
		return c, row.Scan(&c[0], &c[1])
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Errorf("id columns = %v, want requests.id, request_viewers.request_id and .user_id", got)
	}
	for _, c := range got {
		if c[1] != "C" {
			t.Errorf("%s has collation %q, want C", c[0], c[1])
		}
	}
}

// connect opens a connection of the test's own to the database newStore made, its
// search_path the request schema.
func connect(t *testing.T) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = postgres.Schema.Name
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// holder runs a transaction of s in its own goroutine: first(ctx, tx), then it waits for
// end, whose argument is the closure's result (nil commits). A transaction not ended when
// the test ends is rolled back.
type holder struct {
	ready  chan error
	finish chan error
	done   chan error
	ended  bool
}

func hold(t *testing.T, s store.Store, first func(ctx context.Context, tx store.Tx) error) *holder {
	h := &holder{ready: make(chan error, 1), finish: make(chan error, 1), done: make(chan error, 1)}
	go func() {
		h.done <- s.InTx(context.WithoutCancel(t.Context()), func(ctx context.Context, tx store.Tx) error {
			err := first(ctx, tx)
			h.ready <- err
			if err != nil {
				return err
			}
			return <-h.finish
		})
	}()
	t.Cleanup(func() {
		if !h.ended {
			_ = h.end(errors.New("test ended"))
		}
	})
	if err := <-h.ready; err != nil {
		t.Fatalf("holding transaction: %v", err)
	}
	return h
}

// end makes the held transaction return result and waits for it.
func (h *holder) end(result error) error {
	h.ended = true
	h.finish <- result
	return <-h.done
}

// background runs a transaction of s in its own goroutine; wait returns its result, and
// finished is closed when it has returned.
func background(t *testing.T, s store.Store, fn func(ctx context.Context, tx store.Tx) error) (wait func() error, finished <-chan struct{}) {
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		err = s.InTx(context.WithoutCancel(t.Context()), fn)
	}()
	return func() error { <-done; return err }, done
}

// waitForLockWait returns once a session of the test's database waits for a lock: the
// background transaction has reached the row the held one holds. It fails t if that
// transaction finishes first, without waiting. It polls pg_stat_activity with no sleep: each
// look is a round trip.
func waitForLockWait(t *testing.T, conn *pgx.Conn, finished <-chan struct{}) {
	t.Helper()
	for {
		select {
		case <-finished:
			t.Fatal("the second transaction finished without waiting for the first")
		default:
		}
		var waiting int
		err := conn.QueryRow(t.Context(), `
			SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		if err != nil {
			t.Fatalf("waiting for a lock wait: %v", err)
		}
		if waiting > 0 {
			return
		}
	}
}

func grant(id, clientID, requester string) domain.Request {
	return domain.Request{
		ID: id, ClientID: clientID, Type: domain.GrantAccess, RequesterID: requester, TargetUserID: requester,
		AppID: "app", Permission: "editor", Status: domain.InProgress, Stage: domain.StageReview, Version: 1,
	}
}

// TestCreateWaitsForAConcurrentCreator pins down the wait behind "ErrConflict if the client
// id exists (after waiting for a concurrent creator to finish)": the second create of a
// client id blocks on the first's uncommitted row, then conflicts if the first commits, and
// succeeds if it rolls back; either way its transaction stays usable.
func TestCreateWaitsForAConcurrentCreator(t *testing.T) {
	for _, commit := range []bool{true, false} {
		t.Run(fmt.Sprintf("first commits=%v", commit), func(t *testing.T) {
			s := newStore(t)
			conn := connect(t)
			first := hold(t, s, func(ctx context.Context, tx store.Tx) error {
				return tx.CreateRequest(ctx, grant("r-1", "client-1", "u-1"))
			})
			second, finished := background(t, s, func(ctx context.Context, tx store.Tx) error {
				err := tx.CreateRequest(ctx, grant("r-2", "client-1", "u-2"))
				if commit && !errors.Is(err, store.ErrConflict) {
					return fmt.Errorf("create after the first committed: %v, want ErrConflict", err)
				}
				if !commit && err != nil {
					return fmt.Errorf("create after the first rolled back: %w", err)
				}
				return tx.CreateRequest(ctx, grant("r-3", "client-3", "u-3"))
			})
			waitForLockWait(t, conn, finished)
			result := error(nil)
			if !commit {
				result = errors.New("rolled back")
			}
			if err := first.end(result); (err == nil) != commit {
				t.Fatalf("first transaction: %v", err)
			}
			if err := second(); err != nil {
				t.Fatal(err)
			}
			want := "r-2"
			if commit {
				want = "r-1"
			}
			got, err := s.GetRequestByClientID(t.Context(), "client-1")
			if err != nil || got.ID != want {
				t.Errorf("client-1 = %s (%v), want %s", got.ID, err, want)
			}
			if _, err := s.GetRequest(t.Context(), "r-3"); err != nil {
				t.Errorf("r-3, created after the conflict: %v", err)
			}
		})
	}
}

// TestMarkProcessedWaitsForAConcurrentMarker: a second transaction marking an event that a
// first, uncommitted one marked waits, then finds it not new if the first committed, new
// if it rolled back.
func TestMarkProcessedWaitsForAConcurrentMarker(t *testing.T) {
	for _, commit := range []bool{true, false} {
		t.Run(fmt.Sprintf("first commits=%v", commit), func(t *testing.T) {
			s := newStore(t)
			conn := connect(t)
			first := hold(t, s, func(ctx context.Context, tx store.Tx) error {
				isNew, err := tx.MarkProcessed(ctx, "ev-1")
				if err == nil && !isNew {
					err = errors.New("ev-1 not new in the first transaction")
				}
				return err
			})
			var isNew bool
			second, finished := background(t, s, func(ctx context.Context, tx store.Tx) error {
				var err error
				isNew, err = tx.MarkProcessed(ctx, "ev-1")
				return err
			})
			waitForLockWait(t, conn, finished)
			result := error(nil)
			if !commit {
				result = errors.New("rolled back")
			}
			if err := first.end(result); (err == nil) != commit {
				t.Fatalf("first transaction: %v", err)
			}
			if err := second(); err != nil {
				t.Fatal(err)
			}
			if isNew == commit {
				t.Errorf("second transaction found ev-1 new = %v after the first one's end (commit = %v)", isNew, commit)
			}
		})
	}
}

// TestLockRequestBlocksASecondLocker: LockRequest holds the row until the transaction ends,
// and the second locker then reads the first's write.
func TestLockRequestBlocksASecondLocker(t *testing.T) {
	s := newStore(t)
	conn := connect(t)
	if err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		return tx.CreateRequest(ctx, grant("r-1", "", "u-1"))
	}); err != nil {
		t.Fatal(err)
	}
	first := hold(t, s, func(ctx context.Context, tx store.Tx) error {
		r, err := tx.LockRequest(ctx, "r-1")
		if err != nil {
			return err
		}
		r.StepIndex, r.Version = 1, 2
		return tx.UpdateRequest(ctx, r)
	})
	var r domain.Request
	second, finished := background(t, s, func(ctx context.Context, tx store.Tx) error {
		var err error
		r, err = tx.LockRequest(ctx, "r-1")
		return err
	})
	waitForLockWait(t, conn, finished)
	if err := first.end(nil); err != nil {
		t.Fatal(err)
	}
	if err := second(); err != nil {
		t.Fatal(err)
	}
	if r.Version != 2 || r.StepIndex != 1 {
		t.Errorf("second locker read version %d, step %d; want the first's write (2, 1)", r.Version, r.StepIndex)
	}
}
