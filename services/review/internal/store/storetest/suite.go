package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// Cases are the store contract, which the memory and the PostgreSQL engine both keep:
// each exported method is one test, on an empty store of its own, in parallel. The
// engines' tests run them with storetestkit.Suite (pgtest.Contract for PostgreSQL).
type Cases struct{}

func newCampaign(id string, status domain.Status) domain.Campaign {
	c := domain.Campaign{
		ID: id, Name: "Q4 " + id, Description: "quarterly", Status: status, AppIDs: []string{"figma", "slack"},
		ReviewerKind: domain.ByUsers, ReviewerUserIDs: []string{"rev1"}, DueTime: storetestkit.At(100), CreatorID: "admin",
		CreateTime: storetestkit.At(1), Version: 1,
	}
	if status != domain.Draft {
		c.LaunchTime = storetestkit.At(2)
	}
	if status == domain.Closed {
		c.CloseTime = storetestkit.At(3)
	}
	return c
}

func newItem(campaign, id, user, app string, status domain.ItemStatus, reviewers ...string) domain.Item {
	return domain.Item{
		ID: id, CampaignID: campaign, UserID: user, AppID: app, Permission: "viewer", GrantTime: storetestkit.At(-5),
		ReviewerIDs: reviewers, Status: status, UserEmail: user + "@example.com", UserName: "User " + user, AppName: "App " + app,
		Version: 1,
	}
}

func seed(t *testing.T, s store.Store, c domain.Campaign, items ...domain.Item) {
	t.Helper()
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateCampaign(ctx, c); err != nil {
			return err
		}
		return tx.CreateItems(ctx, items)
	})
}

func itemIDs(items []domain.Item) []string {
	return storetestkit.IDs(items, func(it domain.Item) string { return it.ID })
}

func (Cases) CampaignRoundTrip(t *testing.T, s store.Store) {
	c := newCampaign("c1", domain.Draft)
	seed(t, s, c)
	got, err := s.GetCampaign(t.Context(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	storetestkit.Check(t, "campaign", got, c)
	if _, err := s.GetCampaign(t.Context(), "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing campaign: %v", err)
	}
	err = s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.CreateCampaign(ctx, c) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate campaign: %v, want ErrConflict", err)
	}
}

func (Cases) UpdateCampaignChecksVersion(t *testing.T, s store.Store) {
	c := newCampaign("c1", domain.Draft)
	seed(t, s, c)
	launched, _ := c.Launch(storetestkit.At(9))
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateCampaign(ctx, launched) })
	got, _ := s.GetCampaign(t.Context(), "c1")
	storetestkit.Check(t, "launched", got, launched)
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.UpdateCampaign(ctx, launched) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale update: %v, want ErrConflict", err)
	}
	missing := newCampaign("nope", domain.Active)
	missing.Version = 2
	err = s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.UpdateCampaign(ctx, missing) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing update: %v, want ErrNotFound", err)
	}
}

func (Cases) ListCampaignsNewestFirstFilteredPaged(t *testing.T, s store.Store) {
	seed(t, s, newCampaign("c1", domain.Draft))
	seed(t, s, newCampaign("c2", domain.Active), newItem("c2", "i1", "uma", "figma", domain.Pending, "mia"))
	seed(t, s, newCampaign("c3", domain.Active), newItem("c3", "i1", "uma", "figma", domain.Pending, "rev"))
	seed(t, s, newCampaign("c4", domain.Closed))
	ids := func(f store.CampaignFilter, p store.Page) []string {
		cs, err := s.ListCampaigns(t.Context(), f, p)
		if err != nil {
			t.Fatal(err)
		}
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	storetestkit.Check(t, "all", ids(store.CampaignFilter{}, store.Page{}), []string{"c4", "c3", "c2", "c1"})
	storetestkit.Check(t, "page 1", ids(store.CampaignFilter{}, store.Page{Size: 2}), []string{"c4", "c3"})
	storetestkit.Check(t, "page 2", ids(store.CampaignFilter{}, store.Page{Size: 2, After: "c3"}), []string{"c2", "c1"})
	storetestkit.Check(t, "active", ids(store.CampaignFilter{Status: domain.Active}, store.Page{}), []string{"c3", "c2"})
	storetestkit.Check(t, "reviewer mia", ids(store.CampaignFilter{ReviewerID: "mia"}, store.Page{}), []string{"c2"})
	storetestkit.Check(t, "reviewer nobody", ids(store.CampaignFilter{ReviewerID: "zed"}, store.Page{}), []string{})
}

func (Cases) ItemsRoundTripAndProgress(t *testing.T, s store.Store) {
	items := []domain.Item{
		newItem("c1", "i1", "uma", "figma", domain.Pending, "mia"),
		newItem("c1", "i2", "bob", "figma", domain.Blocked, "mia", "oli"),
		newItem("c1", "i3", "cy", "slack", domain.Pending, "oli"),
	}
	items[1].BlockedReason = "owner of the app"
	seed(t, s, newCampaign("c1", domain.Active), items...)
	got, err := s.GetItem(t.Context(), "c1", "i2")
	if err != nil {
		t.Fatal(err)
	}
	storetestkit.Check(t, "item", got, items[1])
	if _, err := s.GetItem(t.Context(), "c2", "i2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("item of another campaign: %v", err)
	}
	err = s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.CreateItems(ctx, items[:1]) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate item: %v, want ErrConflict", err)
	}
	decided := items[0].Decide(domain.Verdict{Decision: domain.Change, Permission: "editor", Justification: "j"}, "mia", storetestkit.At(7), "r1", "IN_PROGRESS")
	kept := items[2].Decide(domain.Verdict{Decision: domain.Keep}, "oli", storetestkit.At(8), "", "")
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateItem(ctx, decided); err != nil {
			return err
		}
		return tx.UpdateItem(ctx, kept)
	})
	got, _ = s.GetItem(t.Context(), "c1", "i1")
	storetestkit.Check(t, "decided", got, decided)
	err = s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error { return tx.UpdateItem(ctx, decided) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("stale item update: %v, want ErrConflict", err)
	}
	p, err := s.Progress(t.Context(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	storetestkit.Check(t, "progress", p, domain.Progress{Total: 3, Changed: 1, Kept: 1, Blocked: 1})
	for _, tc := range []struct {
		user string
		is   bool
		open int
	}{{"mia", true, 1}, {"oli", true, 1}, {"uma", false, 0}} {
		is, err := s.IsReviewer(t.Context(), "c1", tc.user)
		if err != nil || is != tc.is {
			t.Errorf("IsReviewer(%s) = %v, %v; want %v", tc.user, is, err, tc.is)
		}
		n, err := s.OpenItemCount(t.Context(), "c1", tc.user)
		if err != nil || n != tc.open {
			t.Errorf("OpenItemCount(%s) = %v, %v; want %v", tc.user, n, err, tc.open)
		}
	}
}

func (Cases) ListItemsFiltersAndPages(t *testing.T, s store.Store) {
	var items []domain.Item
	for n := range 7 {
		st := domain.Pending
		if n%3 == 0 {
			st = domain.Blocked
		}
		rev := "mia"
		if n%2 == 1 {
			rev = "oli"
		}
		items = append(items, newItem("c1", fmt.Sprintf("i%d", n), fmt.Sprintf("u%d", n), "figma", st, rev))
	}
	seed(t, s, newCampaign("c1", domain.Active), items...)
	seed(t, s, newCampaign("c2", domain.Active), newItem("c2", "i1", "uma", "figma", domain.Pending, "mia"))
	list := func(f store.ItemFilter, p store.Page) []string {
		f.CampaignID = "c1"
		items, err := s.ListItems(t.Context(), f, p)
		if err != nil {
			t.Fatal(err)
		}
		return itemIDs(items)
	}
	storetestkit.Check(t, "all", list(store.ItemFilter{}, store.Page{}), []string{"i0", "i1", "i2", "i3", "i4", "i5", "i6"})
	storetestkit.Check(t, "paged", list(store.ItemFilter{}, store.Page{Size: 3, After: "i2"}), []string{"i3", "i4", "i5"})
	storetestkit.Check(t, "mia", list(store.ItemFilter{ReviewerID: "mia"}, store.Page{}), []string{"i0", "i2", "i4", "i6"})
	storetestkit.Check(t, "mia paged", list(store.ItemFilter{ReviewerID: "mia"}, store.Page{Size: 2, After: "i0"}), []string{"i2", "i4"})
	storetestkit.Check(t, "blocked", list(store.ItemFilter{Status: domain.Blocked}, store.Page{}), []string{"i0", "i3", "i6"})
	storetestkit.Check(t, "oli blocked", list(store.ItemFilter{ReviewerID: "oli", Status: domain.Blocked}, store.Page{}), []string{"i3"})
}

func (Cases) ReviewerIndexFollowsStatus(t *testing.T, s store.Store) {
	it := newItem("c1", "i1", "uma", "figma", domain.Blocked, "mia")
	seed(t, s, newCampaign("c1", domain.Active), it)
	un, _ := it.Unblock()
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateItem(ctx, un) })
	got, _ := s.ListItems(t.Context(), store.ItemFilter{CampaignID: "c1", ReviewerID: "mia", Status: domain.Pending}, store.Page{})
	storetestkit.Check(t, "pending of mia after unblock", itemIDs(got), []string{"i1"})
	got, _ = s.ListItems(t.Context(), store.ItemFilter{CampaignID: "c1", ReviewerID: "mia", Status: domain.Blocked}, store.Page{})
	storetestkit.Check(t, "blocked of mia after unblock", itemIDs(got), []string{})
}

func (Cases) OpenItemsOfAndItemsByRequest(t *testing.T, s store.Store) {
	a := newItem("c1", "i1", "uma", "figma", domain.Pending, "mia")
	b := newItem("c1", "i2", "uma", "slack", domain.Pending, "mia")
	seed(t, s, newCampaign("c1", domain.Active), a, b)
	seed(t, s, newCampaign("c2", domain.Active), newItem("c2", "i1", "uma", "figma", domain.Blocked, "mia"))
	seed(t, s, newCampaign("c3", domain.Closed), newItem("c3", "i1", "uma", "figma", domain.Pending, "mia"))
	got, err := s.OpenItemsOf(t.Context(), "uma", "figma")
	if err != nil {
		t.Fatal(err)
	}
	storetestkit.Check(t, "open items", []string{got[0].CampaignID, got[1].CampaignID}, []string{"c1", "c2"})
	if len(got) != 2 {
		t.Errorf("open items = %d, want 2", len(got))
	}
	d := b.Decide(domain.Verdict{Decision: domain.Remove}, "mia", storetestkit.At(9), "req-1", "IN_PROGRESS")
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error { return tx.UpdateItem(ctx, d) })
	byReq, err := s.ItemsByRequest(t.Context(), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	storetestkit.Check(t, "by request", byReq, []domain.Item{d})
	none, _ := s.ItemsByRequest(t.Context(), "req-2")
	storetestkit.Check(t, "by unknown request", itemIDs(none), []string{})
}

func (Cases) CloseItems(t *testing.T, s store.Store) {
	a := newItem("c1", "i1", "uma", "figma", domain.Pending, "mia")
	b := newItem("c1", "i2", "bob", "figma", domain.Blocked, "mia")
	b.BlockedReason = "owner of the app"
	c := newItem("c1", "i3", "cy", "figma", domain.Pending, "mia")
	seed(t, s, newCampaign("c1", domain.Active), a, b, c)
	kept := c.Decide(domain.Verdict{Decision: domain.Keep}, "mia", storetestkit.At(5), "", "")
	var n int
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateItem(ctx, kept); err != nil {
			return err
		}
		var err error
		n, err = tx.CloseItems(ctx, "c1")
		return err
	})
	if n != 2 {
		t.Errorf("closed %d items, want 2", n)
	}
	p, _ := s.Progress(t.Context(), "c1")
	storetestkit.Check(t, "progress", p, domain.Progress{Total: 3, Kept: 1, NotReviewed: 2})
	got, _ := s.GetItem(t.Context(), "c1", "i2")
	if got.Status != domain.NotReviewed || got.BlockedReason != "" || got.Version != 2 {
		t.Errorf("closed item = %+v", got)
	}
	if n, _ := s.OpenItemCount(t.Context(), "c1", "mia"); n != 0 {
		t.Errorf("open items after close = %d", n)
	}
}

func (Cases) ClosureErrorLeavesNothing(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateCampaign(ctx, newCampaign("c1", domain.Active)); err != nil {
			return err
		}
		if err := tx.CreateItems(ctx, []domain.Item{newItem("c1", "i1", "uma", "figma", domain.Pending, "mia")}); err != nil {
			return err
		}
		if _, err := tx.GetItem(ctx, "c1", "i1"); err != nil {
			return fmt.Errorf("tx does not read its own write: %w", err)
		}
		if err := tx.Emit(ctx, []string{"audit"}, &eventsv1.Event{Id: "e1", Service: "grantflow-review", Action: "x", Subject: "s"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if _, err := s.GetCampaign(t.Context(), "c1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("campaign after rollback: %v", err)
	}
	if evs, _ := s.Pending(t.Context(), "audit", 10); len(evs) != 0 {
		t.Errorf("events after rollback: %d", len(evs))
	}
}

func (Cases) EventsOnlyWithCommitAndProcessedOnce(t *testing.T, s store.Store) {
	storetestkit.Outbox(t, s, func(id string) *eventsv1.Event {
		return &eventsv1.Event{Id: id, Service: "grantflow-review", Action: "accessReview.created", Subject: "accessReviews/" + id}
	})
	storetestkit.MarkProcessed(t, s, errors.New("boom"))
}

// TwoDecidersOneWins: two transactions deciding one item at once, each locking the item
// and refusing a decided one, as the service does: exactly one decision is stored.
func (Cases) TwoDecidersOneWins(t *testing.T, s store.Store) {
	seed(t, s, newCampaign("c1", domain.Active), newItem("c1", "i1", "uma", "figma", domain.Pending, "mia", "oli"))
	const deciders = 8
	won := storetestkit.OneWins(t, storetestkit.Parallel(deciders, func(n int) error {
		return s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
			c, err := tx.LockCampaign(ctx, "c1")
			if err != nil {
				return err
			}
			it, err := tx.LockItem(ctx, "c1", "i1")
			if err != nil {
				return err
			}
			if err := it.CheckDecidable(c); err != nil {
				return err
			}
			return tx.UpdateItem(ctx, it.Decide(domain.Verdict{Decision: domain.Keep}, fmt.Sprintf("rev%d", n), storetestkit.At(9), "", ""))
		})
	}), domain.ErrItemDecided)
	got := storetestkit.Must(s.GetItem(t.Context(), "c1", "i1"))(t)
	if want := fmt.Sprintf("rev%d", won); got.DecidedBy != want || got.Version != 2 {
		t.Errorf("stored decision by %s (version %d), winner %s", got.DecidedBy, got.Version, want)
	}
}

// PendingReviewersAndTimers: the reviewers of PENDING items only, once each and
// ascending; timers commit and roll back with their transaction, a cancelled one never
// fires, and a firing reads the store in the transaction that removes the timer.
func (Cases) PendingReviewersAndTimers(t *testing.T, s store.Store) {
	seed(t, s, newCampaign("c1", domain.Active),
		newItem("c1", "i1", "uma", "figma", domain.Pending, "rev2", "rev1"),
		newItem("c1", "i2", "bob", "figma", domain.Pending, "rev1"),
		newItem("c1", "i3", "oli", "figma", domain.Blocked, "rev3"),
		newItem("c1", "i4", "mia", "figma", domain.Decided, "rev4"))
	seed(t, s, newCampaign("c2", domain.Active), newItem("c2", "i5", "uma", "slack", domain.Pending, "rev5"))
	got, err := s.PendingReviewers(t.Context(), "c1")
	if err != nil {
		t.Fatal(err)
	}
	storetestkit.Check(t, "PendingReviewers", got, []string{"rev1", "rev2"})
	if got, err := s.PendingReviewers(t.Context(), "none"); err != nil || len(got) != 0 {
		t.Errorf("PendingReviewers of no campaign = %v, %v", got, err)
	}

	boom := errors.New("boom")
	tm := func(key string, n int) timer.Timer {
		return timer.Timer{Key: key, Kind: "test", FireAt: storetestkit.At(n), Payload: []byte("c1")}
	}
	err = s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.Schedule(ctx, tm("rolled-back", 1)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, x := range []timer.Timer{tm("kept", 2), tm("cancelled", 1), tm("later", 50)} {
			if err := tx.Schedule(ctx, x); err != nil {
				return err
			}
		}
		return tx.Cancel(ctx, "cancelled")
	})
	var fired []string
	n, err := s.FireDue(t.Context(), storetestkit.At(10), 10, func(ctx context.Context, tx store.Tx, x timer.Timer) error {
		revs, err := tx.PendingReviewers(ctx, string(x.Payload))
		fired = append(fired, x.Key+":"+fmt.Sprint(revs))
		return err
	})
	if err != nil || n != 1 {
		t.Fatalf("FireDue = %d, %v; want 1", n, err)
	}
	storetestkit.Check(t, "fired", fired, []string{"kept:[rev1 rev2]"})
	if n, err := s.FireDue(t.Context(), storetestkit.At(10), 10, func(context.Context, store.Tx, timer.Timer) error { return boom }); err != nil || n != 0 {
		t.Errorf("FireDue again = %d, %v; want 0 (each timer fires once)", n, err)
	}
}
