package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/watch"
)

// wake waits for w's next wake-up; the deadline only bounds a hang.
func wake(t *testing.T, w *watch.Watcher, what string) {
	t.Helper()
	select {
	case <-w.C:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s: not woken", what)
	}
}

func TestNotifiedWakesTheWatchersOfTheNotifiedKey(t *testing.T) {
	db := pgtest.NewDatabase(t, pgstore.Options{Schema: "notifiedtest"})
	n := pgstore.NewNotified(db, "widget_changes", nil)
	a, b := n.Watch("a"), n.Watch("b")
	defer a.Stop()
	defer b.Stop()

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); n.Listen(ctx) }()
	defer func() { cancel(); <-done }()

	// Connected: every key is woken once (what changed while nobody listened is unknown).
	wake(t, a, "a, on connecting")
	wake(t, b, "b, on connecting")

	for _, key := range []string{"a", "b"} {
		if _, err := db.Pool().Exec(ctx, "SELECT pg_notify('widget_changes', $1)", key); err != nil {
			t.Fatal(err)
		}
	}
	wake(t, a, "a, notified")
	wake(t, b, "b, notified")
	// Notifications arrive in order: a's second wake-up would have come before b's.
	select {
	case <-a.C:
		t.Fatal("a woken by b's notification")
	default:
	}
}
