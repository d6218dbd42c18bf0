package pgoutbox_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

const waitTimeout = 30 * time.Second

// eventually waits until cond holds, bounded by a deadline that only stops a hang.
var eventually = servicetest.Eventually

func begin(t *testing.T, db *pgstore.DB) pgx.Tx {
	t.Helper()
	tx, err := db.Pool().Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

func ids(events []*eventsv1.Event) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.Id)
	}
	return out
}

// A transaction that drew a smaller seq but commits later must still be delivered: this is
// why Pending keeps no cursor.
func TestLateCommittingEventIsNotSkipped(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	store := pgoutbox.NewStore(db.Pool())

	early := begin(t, db)
	if err := pgoutbox.Append(ctx, early, []string{"audit"}, &eventsv1.Event{Id: "early"}); err != nil {
		t.Fatal(err)
	}
	late := begin(t, db)
	if err := pgoutbox.Append(ctx, late, []string{"audit"}, &eventsv1.Event{Id: "late"}); err != nil {
		t.Fatal(err)
	}
	if err := late.Commit(ctx); err != nil {
		t.Fatal(err)
	}

	got, err := store.Pending(ctx, "audit", 10)
	if err != nil || !slices.Equal(ids(got), []string{"late"}) {
		t.Fatalf("Pending = %v (%v), want [late]: the earlier transaction has not committed", ids(got), err)
	}
	if err := store.Ack(ctx, "audit", got); err != nil {
		t.Fatal(err)
	}
	if err := early.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got, err = store.Pending(ctx, "audit", 10)
	if err != nil || !slices.Equal(ids(got), []string{"early"}) {
		t.Fatalf("Pending = %v (%v), want [early]: a smaller seq committed late", ids(got), err)
	}
	if got[0].SourceSeq >= 2 || got[0].SourceSeq < 1 {
		t.Errorf("early event's source_seq = %d, want the smaller position 1", got[0].SourceSeq)
	}
}

func TestConcurrentMarkProcessedWaitsAndReportsDuplicate(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()

	first := begin(t, db)
	if isNew, err := pgoutbox.MarkProcessed(ctx, first, "evt-1"); err != nil || !isNew {
		t.Fatalf("first mark = %v, %v", isNew, err)
	}
	type result struct {
		isNew bool
		err   error
	}
	second := make(chan result, 1)
	go func() {
		var r result
		r.err = db.InTx(context.Background(), func(tx pgx.Tx) error {
			var err error
			r.isNew, err = pgoutbox.MarkProcessed(context.Background(), tx, "evt-1")
			return err
		})
		second <- r
	}()
	eventually(t, "the second receiver to wait for the first", func() bool {
		var waiting int
		err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO processed_events%'`).Scan(&waiting)
		return err == nil && waiting == 1
	})
	if err := first.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-second:
		if r.err != nil || r.isNew {
			t.Errorf("second mark = %v, %v; want false: the first receiver applied it", r.isNew, r.err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("second receiver still blocked after the first committed")
	}
}

// Wakeups hears every committed append, whichever connection made it, named by its sink, and
// nothing of a transaction that rolled back: what wakes the relays of every replica.
func TestWakeupsHearCommittedAppends(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	heard := make(chan string, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		pgoutbox.NewStore(db.Pool()).Wakeups(ctx, nil, func(sink string) { heard <- sink })
	}()
	defer func() { cancel(); <-done }()
	next := func() string {
		t.Helper()
		select {
		case s := <-heard:
			return s
		case <-time.After(waitTimeout):
			t.Fatal("no wake-up")
			return ""
		}
	}
	if s := next(); s != "" {
		t.Fatalf("first wake-up %q, want the connection's \"\"", s)
	}
	rolledBack := begin(t, db)
	if err := pgoutbox.Append(ctx, rolledBack, []string{"audit"}, &eventsv1.Event{Id: "gone"}); err != nil {
		t.Fatal(err)
	}
	if err := rolledBack.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	tx := begin(t, db)
	if err := pgoutbox.Append(ctx, tx, []string{"request"}, &eventsv1.Event{Id: "kept"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if s := next(); s != "request" {
		t.Fatalf("wake-up %q, want request (the rolled-back append must not wake anyone)", s)
	}
}
