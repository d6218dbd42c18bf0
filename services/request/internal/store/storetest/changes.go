package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// versions are the versions Changes answers for request id after 0.
func versions(t *testing.T, s store.Store, id string) []int64 {
	t.Helper()
	rs, err := s.Changes(t.Context(), id, 0, 100)
	if err != nil {
		t.Fatalf("Changes(%s): %v", id, err)
	}
	out := []int64{}
	for _, r := range rs {
		out = append(out, r.Version)
	}
	return out
}

// PruneChanges deletes the changes made (their UpdateTime) before the cut, at most limit
// per call, and keeps the later ones, which Changes still answers in order.
func (Cases) PruneChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := grant("r-a", "u-1", "u-2", "app-1"), grant("r-b", "u-1", "u-3", "app-1")
	create(t, s, a, b) // version 1 of each at minute 1
	next := func(r domain.Request, minute int) domain.Request {
		r.Version, r.UpdateTime = r.Version+1, storetestkit.At(minute)
		update(t, s, r)
		return r
	}
	a = next(next(a, 10), 20) // versions 2 (minute 10) and 3 (minute 20)
	next(b, 30)               // version 2 (minute 30)

	cut := storetestkit.At(15) // before: a's 1 and 2, b's 1
	if n, err := s.PruneChanges(ctx, cut, 2); err != nil || n != 2 {
		t.Fatalf("PruneChanges(limit 2) = %d, %v; want 2", n, err)
	}
	if n, err := s.PruneChanges(ctx, cut, 10); err != nil || n != 1 {
		t.Fatalf("PruneChanges(the rest) = %d, %v; want 1", n, err)
	}
	if n, err := s.PruneChanges(ctx, cut, 10); err != nil || n != 0 {
		t.Fatalf("PruneChanges(none left) = %d, %v; want 0", n, err)
	}
	if got := versions(t, s, "r-a"); len(got) != 1 || got[0] != 3 {
		t.Errorf("r-a's changes after the prune: %v; want [3]", got)
	}
	if got := versions(t, s, "r-b"); len(got) != 1 || got[0] != 2 {
		t.Errorf("r-b's changes after the prune: %v; want [2]", got)
	}
	a = next(a, 40) // the log goes on after a prune
	if got := versions(t, s, "r-a"); len(got) != 2 || got[0] != 3 || got[1] != 4 {
		t.Errorf("r-a's changes after a new one: %v; want [3 4]", got)
	}
	if n, err := s.PruneChanges(ctx, storetestkit.At(100), 10); err != nil || n != 3 {
		t.Fatalf("PruneChanges(everything) = %d, %v; want 3", n, err)
	}
	if got := versions(t, s, a.ID); len(got) != 0 {
		t.Errorf("r-a's changes after pruning all: %v", got)
	}
}
