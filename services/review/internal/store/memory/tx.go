package memory

import (
	"context"
	"slices"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// tx writes straight into the state and logs how to undo each write (memstore.Put, Delete,
// Remember); its events and timers commit with it.
type tx struct {
	*state
	*memstore.Tx
	timer.MemoryScheduler
}

var _ store.Tx = (*tx)(nil)

// The write lock is held for the whole transaction: the locks are the reads.

func (t *tx) LockCampaign(ctx context.Context, id string) (domain.Campaign, error) {
	return t.GetCampaign(ctx, id)
}

func (t *tx) LockItem(ctx context.Context, campaign, id string) (domain.Item, error) {
	return t.GetItem(ctx, campaign, id)
}

func (t *tx) CreateCampaign(_ context.Context, c domain.Campaign) error {
	return memstore.Insert(t.Tx, t.campaigns, c.ID, c.Clone())
}

func (t *tx) UpdateCampaign(_ context.Context, c domain.Campaign) error {
	old, ok := t.campaigns[c.ID]
	if err := memstore.CheckUpdate(ok, old.Version, c.Version, store.ErrNotFound, store.ErrConflict); err != nil {
		return err
	}
	memstore.Put(t.Tx, t.campaigns, c.ID, c.Clone())
	return nil
}

func (t *tx) CreateItems(_ context.Context, items []domain.Item) error {
	for _, it := range items {
		if _, ok := t.campaigns[it.CampaignID]; !ok {
			return store.ErrNotFound
		}
		if _, dup := t.items[it.CampaignID][it.ID]; dup {
			return store.ErrConflict
		}
	}
	for _, it := range items {
		c := it.CampaignID
		if t.items[c] == nil {
			memstore.Put(t.Tx, t.items, c, map[string]domain.Item{})
		}
		memstore.Put(t.Tx, t.items[c], it.ID, it.Clone())
		memstore.Remember(t.Tx, t.order, c)
		ids := t.order[c]
		i, _ := slices.BinarySearch(ids, it.ID)
		if i == len(ids) {
			t.order[c] = append(ids, it.ID) // launches write ids in ascending order
		} else {
			t.order[c] = slices.Insert(slices.Clone(ids), i, it.ID)
		}
	}
	return nil
}

func (t *tx) UpdateItem(_ context.Context, it domain.Item) error {
	old, ok := t.items[it.CampaignID][it.ID]
	if err := memstore.CheckUpdate(ok, old.Version, it.Version, store.ErrNotFound, store.ErrConflict); err != nil {
		return err
	}
	memstore.Put(t.Tx, t.items[it.CampaignID], it.ID, it.Clone())
	return nil
}

func (t *tx) CloseItems(_ context.Context, campaign string) (int, error) {
	n := 0
	for id, it := range t.items[campaign] {
		if !it.Open() {
			continue
		}
		it.Status, it.BlockedReason = domain.NotReviewed, ""
		it.Version++
		memstore.Put(t.Tx, t.items[campaign], id, it)
		n++
	}
	return n, nil
}
