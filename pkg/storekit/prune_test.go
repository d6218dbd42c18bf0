package storekit_test

import (
	"context"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/storekit"
)

// TestPrunerDeletesInBatchesUntilNoneIsLeft: Once deletes what is older than the retention
// by the clock, PruneBatch at a time, until a batch comes back short.
func TestPrunerDeletesInBatchesUntilNoneIsLeft(t *testing.T) {
	now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
	left := 2*storekit.PruneBatch + 5
	var cuts []time.Time
	p := storekit.Pruner{Name: "things", Now: func() time.Time { return now }, Retention: 24 * time.Hour,
		Prune: func(_ context.Context, before time.Time, limit int) (int, error) {
			cuts = append(cuts, before)
			n := min(left, limit)
			left -= n
			return n, nil
		}}
	n, err := p.Once(t.Context())
	if err != nil || n != 2*storekit.PruneBatch+5 || left != 0 || len(cuts) != 3 {
		t.Fatalf("Once = %d, %v after %d batches (%d left)", n, err, len(cuts), left)
	}
	for _, c := range cuts {
		if !c.Equal(now.Add(-24 * time.Hour)) {
			t.Fatalf("pruned before %s, want a day before %s", c, now)
		}
	}
}
