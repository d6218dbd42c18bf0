package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

type state struct {
	campaigns map[string]domain.Campaign
	// items by campaign, then by item id; order holds each campaign's item ids ascending.
	items  map[string]map[string]domain.Item
	order  map[string][]string
	timers *timer.Memory
}

// Store is the in-memory review store: the kit's memory engine (memstore) with its outbox,
// and the kit's memory timers in its state.
type Store struct {
	timer.MemoryShell[state, store.Tx]
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{timer.NewMemoryShell(state{
		campaigns: map[string]domain.Campaign{},
		items:     map[string]map[string]domain.Item{},
		order:     map[string][]string{},
		timers:    timer.NewMemory(),
	}, func(st *state) *timer.Memory { return st.timers }, newTx)}
}

// newTx is the store.Tx of a transaction (InTx's, and a timer's firing).
func newTx(st *state, mt *memstore.Tx, ts timer.MemoryScheduler) store.Tx { return &tx{st, mt, ts} }

// --- reads: the Store takes the read lock, a tx already holds the write lock ---

func (s *Store) GetCampaign(ctx context.Context, id string) (domain.Campaign, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Campaign, error) { return st.GetCampaign(ctx, id) })
}

func (s *Store) ListCampaigns(ctx context.Context, f store.CampaignFilter, p store.Page) ([]domain.Campaign, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Campaign, error) { return st.ListCampaigns(ctx, f, p) })
}

func (s *Store) Progress(ctx context.Context, id string) (domain.Progress, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Progress, error) { return st.Progress(ctx, id) })
}

func (s *Store) IsReviewer(ctx context.Context, id, user string) (bool, error) {
	return memstore.View(s.Engine, func(st *state) (bool, error) { return st.IsReviewer(ctx, id, user) })
}

func (s *Store) PendingReviewers(ctx context.Context, id string) ([]string, error) {
	return memstore.View(s.Engine, func(st *state) ([]string, error) { return st.PendingReviewers(ctx, id) })
}

func (s *Store) OpenItemCount(ctx context.Context, id, reviewer string) (int, error) {
	return memstore.View(s.Engine, func(st *state) (int, error) { return st.OpenItemCount(ctx, id, reviewer) })
}

func (s *Store) GetItem(ctx context.Context, c, i string) (domain.Item, error) {
	return memstore.View(s.Engine, func(st *state) (domain.Item, error) { return st.GetItem(ctx, c, i) })
}

func (s *Store) ListItems(ctx context.Context, f store.ItemFilter, p store.Page) ([]domain.Item, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Item, error) { return st.ListItems(ctx, f, p) })
}

func (s *Store) OpenItemsOf(ctx context.Context, user, app string) ([]domain.Item, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Item, error) { return st.OpenItemsOf(ctx, user, app) })
}

func (s *Store) ItemsByRequest(ctx context.Context, requestID string) ([]domain.Item, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Item, error) { return st.ItemsByRequest(ctx, requestID) })
}

// --- the state's queries (no locking); scans are fine for the embedded engine ---

func (st *state) GetCampaign(_ context.Context, id string) (domain.Campaign, error) {
	c, err := memstore.Get(st.campaigns, id)
	return c.Clone(), err
}

// ListCampaigns pages newest first.
func (st *state) ListCampaigns(_ context.Context, f store.CampaignFilter, p store.Page) ([]domain.Campaign, error) {
	return memstore.PageDesc(st.campaigns, p, func(c domain.Campaign) string { return c.ID }, func(c domain.Campaign) bool {
		return (f.Status == "" || c.Status == f.Status) && (f.ReviewerID == "" || st.reviews(c.ID, f.ReviewerID))
	}, domain.Campaign.Clone), nil
}

func (st *state) reviews(campaign, user string) bool {
	for _, it := range st.items[campaign] {
		if it.IsReviewer(user) {
			return true
		}
	}
	return false
}

func (st *state) Progress(_ context.Context, id string) (domain.Progress, error) {
	var p domain.Progress
	for _, it := range st.items[id] {
		p.Total++
		switch it.Status {
		case domain.Pending:
			p.Pending++
		case domain.Blocked:
			p.Blocked++
		case domain.NotReviewed:
			p.NotReviewed++
		case domain.Decided:
			switch it.Decision {
			case domain.Keep:
				p.Kept++
			case domain.Change:
				p.Changed++
			case domain.Remove:
				p.Removed++
			}
		}
	}
	return p, nil
}

func (st *state) IsReviewer(_ context.Context, id, user string) (bool, error) {
	return st.reviews(id, user), nil
}

func (st *state) PendingReviewers(_ context.Context, id string) ([]string, error) {
	out := []string{}
	for _, it := range st.items[id] {
		if it.Status == domain.Pending {
			out = append(out, it.ReviewerIDs...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (st *state) OpenItemCount(_ context.Context, id, reviewer string) (int, error) {
	n := 0
	for _, it := range st.items[id] {
		if it.Open() && it.IsReviewer(reviewer) {
			n++
		}
	}
	return n, nil
}

func (st *state) GetItem(_ context.Context, campaign, id string) (domain.Item, error) {
	it, err := memstore.Get(st.items[campaign], id)
	return it.Clone(), err
}

func (st *state) ListItems(_ context.Context, f store.ItemFilter, p store.Page) ([]domain.Item, error) {
	ids := st.order[f.CampaignID]
	start, _ := slices.BinarySearch(ids, p.After)
	out := []domain.Item{}
	for _, id := range ids[start:] {
		it := st.items[f.CampaignID][id]
		switch {
		case id == p.After:
		case f.ReviewerID != "" && !it.IsReviewer(f.ReviewerID):
		case f.Status != "" && it.Status != f.Status:
		default:
			out = append(out, it.Clone())
			if p.Size > 0 && len(out) == p.Size {
				return out, nil
			}
		}
	}
	return out, nil
}

func (st *state) OpenItemsOf(_ context.Context, user, app string) ([]domain.Item, error) {
	out := []domain.Item{}
	for cid, c := range st.campaigns {
		if c.Status != domain.Active {
			continue
		}
		for _, it := range st.items[cid] {
			if it.UserID == user && it.AppID == app && it.Open() {
				out = append(out, it.Clone())
			}
		}
	}
	sortItems(out)
	return out, nil
}

func (st *state) ItemsByRequest(_ context.Context, requestID string) ([]domain.Item, error) {
	out := []domain.Item{}
	if requestID == "" {
		return out, nil
	}
	for _, items := range st.items {
		for _, it := range items {
			if it.RequestID == requestID {
				out = append(out, it.Clone())
			}
		}
	}
	sortItems(out)
	return out, nil
}

func sortItems(items []domain.Item) {
	slices.SortFunc(items, func(a, b domain.Item) int {
		if c := strings.Compare(a.CampaignID, b.CampaignID); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
