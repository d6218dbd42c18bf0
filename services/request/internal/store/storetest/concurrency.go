package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// LockRequestSerializesTransactions: read-modify-write of a request under its lock never loses an update,
// so every versioned write succeeds.
func (Cases) LockRequestSerializesTransactions(t *testing.T, s store.Store) {
	create(t, s, grant("r-1", "u-1", "u-1", "app"))
	errs := storetestkit.Concurrently(t, s, writers, func(ctx context.Context, tx store.Tx, i int) error {
		r, err := tx.LockRequest(ctx, "r-1")
		if err != nil {
			return err
		}
		r.AddTasks(fmt.Sprintf("t-%02d", i))
		r.AddAssignees(fmt.Sprintf("u-%02d", i))
		r.StepIndex++
		r.Version++
		return tx.UpdateRequest(ctx, r)
	})
	storetestkit.AllWin(t, errs)
	got := storetestkit.Must(s.GetRequest(t.Context(), "r-1"))(t)
	storetestkit.Check(t, "version", got.Version, int64(1+writers))
	storetestkit.Check(t, "step index (incremented by each)", got.StepIndex, writers)
	storetestkit.Check(t, "task ids (one added by each)", len(got.TaskIDs), writers)
	for i := range writers {
		if !slices.Contains(got.TaskIDs, fmt.Sprintf("t-%02d", i)) {
			t.Errorf("t-%02d lost", i)
		}
		storetestkit.Check(t, fmt.Sprintf("u-%02d sees it", i), list(t, s, store.Filter{ViewerID: fmt.Sprintf("u-%02d", i)}, store.Page{}), []string{"r-1"})
	}
}

// ConcurrentCreateSameClientIDOneWins: of concurrent submits with one client id, one creates its
// request; the others find the id taken (after waiting for the winner), and leave nothing.
func (Cases) ConcurrentCreateSameClientIDOneWins(t *testing.T, s store.Store) {
	winner := storetestkit.OneWins(t, storetestkit.Concurrently(t, s, writers, func(ctx context.Context, tx store.Tx, i int) error {
		r := grant(fmt.Sprintf("r-%02d", i), fmt.Sprintf("u-%02d", i), fmt.Sprintf("u-%02d", i), "app")
		r.ClientID = "client-1"
		return tx.CreateRequest(ctx, r)
	}), store.ErrConflict)
	ctx := t.Context()
	want := fmt.Sprintf("r-%02d", winner)
	storetestkit.Check(t, "by client id", storetestkit.Must(s.GetRequestByClientID(ctx, "client-1"))(t).ID, want)
	storetestkit.Check(t, "requests", list(t, s, store.Filter{}, store.Page{}), []string{want})
	for i := range writers {
		var sees []string
		if i == winner {
			sees = []string{want}
		}
		storetestkit.Check(t, fmt.Sprintf("u-%02d", i), list(t, s, store.Filter{ViewerID: fmt.Sprintf("u-%02d", i)}, store.Page{}), sees)
	}
}

// ConcurrentCreateSameIDOneWins: the same for one request id with different client ids; the losers'
// client ids stay free.
func (Cases) ConcurrentCreateSameIDOneWins(t *testing.T, s store.Store) {
	winner := storetestkit.OneWins(t, storetestkit.Concurrently(t, s, writers, func(ctx context.Context, tx store.Tx, i int) error {
		r := grant("r-1", "u-1", "u-1", "app")
		r.ClientID = fmt.Sprintf("client-%02d", i)
		return tx.CreateRequest(ctx, r)
	}), store.ErrConflict)
	ctx := t.Context()
	storetestkit.Check(t, "client id", storetestkit.Must(s.GetRequest(ctx, "r-1"))(t).ClientID, fmt.Sprintf("client-%02d", winner))
	for i := range writers {
		_, err := s.GetRequestByClientID(ctx, fmt.Sprintf("client-%02d", i))
		if i != winner {
			storetestkit.WantErr(t, fmt.Sprintf("client-%02d", i), err, store.ErrNotFound)
		}
	}
	storetestkit.Check(t, "u-1", list(t, s, store.Filter{ViewerID: "u-1"}, store.Page{}), []string{"r-1"})
}

// ConcurrentMarkProcessedOneNew: of transactions marking one event at once, exactly one finds
// it new.
func (Cases) ConcurrentMarkProcessedOneNew(t *testing.T, s store.Store) {
	news := make([]bool, writers)
	errs := storetestkit.Concurrently(t, s, writers, func(ctx context.Context, tx store.Tx, i int) error {
		isNew, err := tx.MarkProcessed(ctx, "ev-1")
		news[i] = isNew
		return err
	})
	n := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
		if news[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d transactions found ev-1 new, want exactly 1", n)
	}
}
