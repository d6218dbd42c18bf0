package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// Cases are the store contract, which the memory and the PostgreSQL engine both keep:
// each exported method is one test, on an empty store of its own, in parallel. The
// engines' tests run them with storetestkit.Suite (pgtest.Contract for PostgreSQL).
type Cases struct{}

// t0 is the suite's clock, at microsecond precision (what PostgreSQL keeps).
var t0 = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

func newWebhook(t *testing.T, s store.Store, types ...string) domain.Webhook {
	t.Helper()
	w, err := s.CreateWebhook(t.Context(), domain.Webhook{
		ID: uuid.NewString(), URL: "https://hooks.example.com/" + uuid.NewString(), EventTypes: types,
		Description: "d", Secret: []byte("secret-bytes"), CreatedBy: "u1", CreateTime: t0, UpdateTime: t0,
	})
	if err != nil {
		t.Fatalf("CreateWebhook: %v", err)
	}
	return w
}

func delivery(w domain.Webhook, eventID, subject string, due time.Time) domain.Delivery {
	return domain.Delivery{
		ID: uuid.NewString(), WebhookID: w.ID, EventID: eventID, EventType: "request.created", Subject: subject,
		Body: []byte(`{"type":"request.created"}`), Status: domain.Pending, NextAttemptTime: due,
		RetryUntil: due.Add(24 * time.Hour), CreateTime: t0, UpdateTime: t0,
	}
}

func enqueue(t *testing.T, s store.Store, ds ...domain.Delivery) {
	t.Helper()
	var evs []store.EventDeliveries
	for _, d := range ds {
		evs = append(evs, store.EventDeliveries{EventID: d.EventID + "/" + d.ID, Deliveries: []domain.Delivery{d}})
	}
	if _, err := s.Enqueue(t.Context(), evs); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
}

func claimIDs(t *testing.T, s store.Store, now time.Time, limit int) []string {
	t.Helper()
	jobs, err := s.Claim(t.Context(), now, now.Add(time.Minute), limit)
	if err != nil {
		t.Fatalf("Claim: %v", err)
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids
}

func finish(t *testing.T, s store.Store, id string, attempt int32, st domain.Status, code int32, next time.Time) {
	t.Helper()
	ok, err := s.Finish(t.Context(), store.Finish{ID: id, Attempt: attempt, Status: st, Outcome: domain.Outcome{StatusCode: code, Err: fmt.Sprint("code ", code)}, NextAttemptTime: next, Now: t0})
	if err != nil || !ok {
		t.Fatalf("Finish(%s, attempt %d): %v, %v", id, attempt, ok, err)
	}
}

func (Cases) Webhooks(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newWebhook(t, s, "request.*")
	b := newWebhook(t, s)
	c := newWebhook(t, s, "task.created")
	if _, err := s.CreateWebhook(ctx, a); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("CreateWebhook with a taken id: %v, want ErrConflict", err)
	}
	got, err := s.GetWebhook(ctx, a.ID)
	if err != nil || got.URL != a.URL || len(got.EventTypes) != 1 || got.EventTypes[0] != "request.*" || string(got.Secret) != "secret-bytes" ||
		got.CreatedBy != "u1" || !got.CreateTime.Equal(t0) || got.Seq != a.Seq {
		t.Fatalf("GetWebhook = %+v, %v; want %+v", got, err, a)
	}
	if len(b.EventTypes) != 0 {
		t.Fatalf("no event types came back as %#v", b.EventTypes)
	}
	if _, err := s.GetWebhook(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetWebhook(nope): %v", err)
	}
	page, err := s.ListWebhooks(ctx, 0, 2)
	if err != nil || len(page) != 2 || page[0].ID != a.ID || page[1].ID != b.ID {
		t.Fatalf("first page %v, %v", page, err)
	}
	page, err = s.ListWebhooks(ctx, page[1].Seq, 2)
	if err != nil || len(page) != 1 || page[0].ID != c.ID {
		t.Fatalf("second page %v, %v", page, err)
	}
	boom := errors.New("boom")
	if _, err := s.UpdateWebhook(ctx, b.ID, func(w *domain.Webhook) error { w.URL = "x"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("UpdateWebhook with fn's error: %v", err)
	}
	up, err := s.UpdateWebhook(ctx, b.ID, func(w *domain.Webhook) error {
		w.Disabled, w.EventTypes, w.Description, w.UpdateTime = true, []string{"task.*"}, "new", t0.Add(time.Second)
		return nil
	})
	if err != nil || !up.Disabled || up.EventTypes[0] != "task.*" || up.Description != "new" || !up.UpdateTime.Equal(t0.Add(time.Second)) || up.Seq != b.Seq {
		t.Fatalf("UpdateWebhook = %+v, %v", up, err)
	}
	if got, _ := s.GetWebhook(ctx, b.ID); got.URL != b.URL || !got.Disabled {
		t.Fatalf("after update %+v", got)
	}
	if _, err := s.UpdateWebhook(ctx, "nope", func(*domain.Webhook) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("UpdateWebhook(nope): %v", err)
	}
	enabled, err := s.EnabledWebhooks(ctx)
	if err != nil || len(enabled) != 2 || enabled[0].ID != a.ID || enabled[1].ID != c.ID {
		t.Fatalf("EnabledWebhooks = %v, %v", enabled, err)
	}
	if err := s.DeleteWebhook(ctx, a.ID); err != nil {
		t.Fatalf("DeleteWebhook: %v", err)
	}
	if err := s.DeleteWebhook(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second DeleteWebhook: %v", err)
	}
	if _, err := s.GetWebhook(ctx, a.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetWebhook after delete: %v", err)
	}
}

func (Cases) EnqueueIdempotent(t *testing.T, s store.Store) {
	ctx := t.Context()
	w1, w2 := newWebhook(t, s), newWebhook(t, s)
	ev := func(id string) store.EventDeliveries {
		return store.EventDeliveries{EventID: id, Deliveries: []domain.Delivery{delivery(w1, id, "requests/1", t0), delivery(w2, id, "requests/1", t0)}}
	}
	n, err := s.Enqueue(ctx, []store.EventDeliveries{ev("e1"), ev("e2"), {EventID: "e3"}})
	if err != nil || n != 3 {
		t.Fatalf("Enqueue = %d, %v; want 3 new", n, err)
	}
	n, err = s.Enqueue(ctx, []store.EventDeliveries{ev("e2"), ev("e4"), ev("e4"), {EventID: "e3"}})
	if err != nil || n != 1 {
		t.Fatalf("Enqueue again = %d, %v; want 1 new (e4)", n, err)
	}
	for _, w := range []domain.Webhook{w1, w2} {
		ds, err := s.ListDeliveries(ctx, w.ID, 0, 100)
		if err != nil || len(ds) != 3 {
			t.Fatalf("ListDeliveries = %d deliveries, %v; want 3 (e1, e2, e4 once each)", len(ds), err)
		}
		if ds[0].EventID != "e4" || ds[1].EventID != "e2" || ds[2].EventID != "e1" {
			t.Fatalf("delivery log order %s %s %s, want newest first", ds[0].EventID, ds[1].EventID, ds[2].EventID)
		}
	}
	// A delivery to a subscription deleted meanwhile is dropped; the event still counts.
	gone := newWebhook(t, s)
	if err := s.DeleteWebhook(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	n, err = s.Enqueue(ctx, []store.EventDeliveries{{EventID: "e5", Deliveries: []domain.Delivery{delivery(gone, "e5", "requests/1", t0), delivery(w1, "e5", "requests/1", t0)}}})
	if err != nil || n != 1 {
		t.Fatalf("Enqueue with a deleted subscription = %d, %v", n, err)
	}
	if ds, _ := s.ListDeliveries(ctx, w1.ID, 0, 100); len(ds) != 4 {
		t.Fatalf("w1 has %d deliveries, want 4", len(ds))
	}
}

func (Cases) ClaimLease(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := newWebhook(t, s)
	due, later := delivery(w, "e1", "a", t0), delivery(w, "e2", "b", t0.Add(time.Hour))
	enqueue(t, s, due, later)
	if next, ok, err := s.NextDue(ctx); err != nil || !ok || !next.Equal(t0) {
		t.Fatalf("NextDue = %v %v %v, want %v", next, ok, err, t0)
	}
	jobs, err := s.Claim(ctx, t0, t0.Add(time.Minute), 10)
	if err != nil || len(jobs) != 1 || jobs[0].ID != due.ID {
		t.Fatalf("Claim = %v, %v; want only the due delivery", jobs, err)
	}
	j := jobs[0]
	if j.Attempts != 1 || j.URL != w.URL || string(j.Secret) != "secret-bytes" || string(j.Body) != string(due.Body) || j.EventID != "e1" || !j.NextAttemptTime.Equal(t0.Add(time.Minute)) {
		t.Fatalf("job %+v", j)
	}
	// Leased: not handed out again before the lease ends, then handed out again.
	if ids := claimIDs(t, s, t0.Add(30*time.Second), 10); len(ids) != 0 {
		t.Fatalf("claimed %v during the lease", ids)
	}
	if next, _, _ := s.NextDue(ctx); !next.Equal(t0.Add(time.Minute)) {
		t.Fatalf("NextDue during the lease = %v, want the lease's end", next)
	}
	jobs, err = s.Claim(ctx, t0.Add(time.Minute), t0.Add(2*time.Minute), 10)
	if err != nil || len(jobs) != 1 || jobs[0].ID != due.ID || jobs[0].Attempts != 2 {
		t.Fatalf("Claim after the lease = %+v, %v; want attempt 2", jobs, err)
	}
	// The first attempt's outcome comes too late: ignored.
	if ok, err := s.Finish(ctx, store.Finish{ID: due.ID, Attempt: 1, Status: domain.Succeeded, Outcome: domain.Outcome{StatusCode: 200}, Now: t0}); err != nil || ok {
		t.Fatalf("Finish of a stale attempt = %v, %v; want ignored", ok, err)
	}
	finish(t, s, due.ID, 2, domain.Succeeded, 200, time.Time{})
	if ok, _ := s.Finish(ctx, store.Finish{ID: due.ID, Attempt: 2, Status: domain.Failed, Now: t0}); ok {
		t.Fatal("a second Finish of the same attempt changed a finished delivery")
	}
	if ok, _ := s.Finish(ctx, store.Finish{ID: "nope", Attempt: 1, Status: domain.Failed, Now: t0}); ok {
		t.Fatal("Finish of an unknown delivery reported a change")
	}
	// Limit.
	enqueue(t, s, delivery(w, "e3", "c", t0), delivery(w, "e4", "d", t0), delivery(w, "e5", "e", t0))
	if ids := claimIDs(t, s, t0.Add(3*time.Minute), 2); len(ids) != 2 {
		t.Fatalf("claimed %d with limit 2", len(ids))
	}
}

func (Cases) OrderPerSubject(t *testing.T, s store.Store) {
	w1, w2 := newWebhook(t, s), newWebhook(t, s)
	a1, a2, a3 := delivery(w1, "e1", "requests/a", t0), delivery(w1, "e2", "requests/a", t0), delivery(w1, "e3", "requests/a", t0)
	b1 := delivery(w1, "e4", "requests/b", t0)
	other := delivery(w2, "e5", "requests/a", t0) // same subject, another subscription
	enqueue(t, s, a1, a2, b1, a3, other)
	ids := claimIDs(t, s, t0, 10)
	if len(ids) != 3 || ids[0] != a1.ID || ids[1] != b1.ID || ids[2] != other.ID {
		t.Fatalf("claimed %v, want the head of each (subscription, subject): %s %s %s", ids, a1.ID, b1.ID, other.ID)
	}
	// a1 fails and waits: a2 still waits behind it, even once due.
	finish(t, s, a1.ID, 1, domain.Pending, 500, t0.Add(10*time.Second))
	if ids := claimIDs(t, s, t0.Add(5*time.Second), 10); len(ids) != 0 {
		t.Fatalf("claimed %v while the subject's head waits for its retry", ids)
	}
	if ids := claimIDs(t, s, t0.Add(10*time.Second), 10); len(ids) != 1 || ids[0] != a1.ID {
		t.Fatalf("claimed %v, want the head again", ids)
	}
	finish(t, s, a1.ID, 2, domain.Succeeded, 200, time.Time{})
	if ids := claimIDs(t, s, t0.Add(20*time.Second), 10); len(ids) != 1 || ids[0] != a2.ID {
		t.Fatalf("claimed %v, want a2", ids)
	}
	// A FAILED head releases the subject too.
	finish(t, s, a2.ID, 1, domain.Failed, 500, time.Time{})
	if ids := claimIDs(t, s, t0.Add(30*time.Second), 10); len(ids) != 1 || ids[0] != a3.ID {
		t.Fatalf("claimed %v, want a3", ids)
	}
}

func (Cases) FinishAndRetry(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := newWebhook(t, s)
	d := delivery(w, "e1", "s", t0)
	enqueue(t, s, d)
	claimIDs(t, s, t0, 1)
	finish(t, s, d.ID, 1, domain.Pending, 503, t0.Add(5*time.Second))
	got, err := s.GetDelivery(ctx, w.ID, d.ID)
	if err != nil || got.Status != domain.Pending || got.Attempts != 1 || got.LastStatusCode != 503 || got.LastError != "code 503" || !got.NextAttemptTime.Equal(t0.Add(5*time.Second)) {
		t.Fatalf("after a failed attempt %+v, %v", got, err)
	}
	claimIDs(t, s, t0.Add(5*time.Second), 1)
	finish(t, s, d.ID, 2, domain.Failed, 0, time.Time{})
	got, _ = s.GetDelivery(ctx, w.ID, d.ID)
	if got.Status != domain.Failed || got.Attempts != 2 || got.LastStatusCode != 0 || !got.NextAttemptTime.IsZero() || !got.RetryUntil.Equal(d.RetryUntil) {
		t.Fatalf("after the last attempt %+v", got)
	}
	if _, ok, _ := s.NextDue(ctx); ok {
		t.Fatal("NextDue found a pending delivery")
	}
	if ids := claimIDs(t, s, t0.Add(time.Hour), 10); len(ids) != 0 {
		t.Fatalf("claimed a failed delivery: %v", ids)
	}
}

func (Cases) DeliveryLog(t *testing.T, s store.Store) {
	ctx := t.Context()
	w, other := newWebhook(t, s), newWebhook(t, s)
	var ds []domain.Delivery
	for i := range 5 {
		ds = append(ds, delivery(w, fmt.Sprint("e", i), "s", t0))
	}
	enqueue(t, s, ds...)
	page, err := s.ListDeliveries(ctx, w.ID, 0, 3)
	if err != nil || len(page) != 3 || page[0].ID != ds[4].ID || page[2].ID != ds[2].ID {
		t.Fatalf("first page %v, %v", page, err)
	}
	page, err = s.ListDeliveries(ctx, w.ID, page[2].Seq, 3)
	if err != nil || len(page) != 2 || page[0].ID != ds[1].ID || page[1].ID != ds[0].ID {
		t.Fatalf("second page %v, %v", page, err)
	}
	if page, _ := s.ListDeliveries(ctx, other.ID, 0, 3); len(page) != 0 {
		t.Fatalf("another subscription's log has %d deliveries", len(page))
	}
	if _, err := s.GetDelivery(ctx, other.ID, ds[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetDelivery through another subscription: %v", err)
	}
	got, err := s.GetDelivery(ctx, w.ID, ds[0].ID)
	if err != nil || got.EventID != "e0" || got.EventType != "request.created" || got.Subject != "s" || got.Status != domain.Pending ||
		!got.CreateTime.Equal(t0) || !got.RetryUntil.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("GetDelivery = %+v, %v", got, err)
	}
	ping := delivery(w, "ping-1", "webhooks/"+w.ID, t0)
	added, err := s.AddDelivery(ctx, ping)
	if err != nil || added.ID != ping.ID || added.Seq <= ds[4].Seq {
		t.Fatalf("AddDelivery = %+v, %v", added, err)
	}
	gone := ping
	gone.ID, gone.WebhookID = uuid.NewString(), "nope"
	if _, err := s.AddDelivery(ctx, gone); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AddDelivery to an unknown subscription: %v", err)
	}
}

func (Cases) Redeliver(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := newWebhook(t, s)
	first, second := delivery(w, "e1", "s", t0), delivery(w, "e2", "s", t0)
	enqueue(t, s, first, second)
	claimIDs(t, s, t0, 10)
	finish(t, s, first.ID, 1, domain.Succeeded, 200, time.Time{})
	claimIDs(t, s, t0, 10)
	finish(t, s, second.ID, 1, domain.Failed, 410, time.Time{})
	now := t0.Add(time.Hour)
	got, err := s.Redeliver(ctx, w.ID, first.ID, now, now.Add(24*time.Hour))
	if err != nil || got.Status != domain.Pending || got.Attempts != 1 || !got.NextAttemptTime.Equal(now) || !got.RetryUntil.Equal(now.Add(24*time.Hour)) || string(got.Body) != string(first.Body) {
		t.Fatalf("Redeliver = %+v, %v", got, err)
	}
	if _, err := s.Redeliver(ctx, w.ID, "nope", now, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Redeliver(nope): %v", err)
	}
	jobs, err := s.Claim(ctx, now, now.Add(time.Minute), 10)
	if err != nil || len(jobs) != 1 || jobs[0].ID != first.ID || jobs[0].Attempts != 2 || jobs[0].EventID != "e1" {
		t.Fatalf("Claim after redeliver = %+v, %v", jobs, err)
	}
}

func (Cases) DeleteDropsQueue(t *testing.T, s store.Store) {
	ctx := t.Context()
	w, keep := newWebhook(t, s), newWebhook(t, s)
	d, k := delivery(w, "e1", "s", t0), delivery(keep, "e1", "s", t0)
	if _, err := s.Enqueue(ctx, []store.EventDeliveries{{EventID: "e1", Deliveries: []domain.Delivery{d, k}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteWebhook(ctx, w.ID); err != nil {
		t.Fatal(err)
	}
	if ids := claimIDs(t, s, t0, 10); len(ids) != 1 || ids[0] != k.ID {
		t.Fatalf("claimed %v after the subscription was deleted, want only %s", ids, k.ID)
	}
	if _, err := s.GetDelivery(ctx, w.ID, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted subscription's delivery: %v", err)
	}
}

// ConcurrentClaims: claimers racing over one queue hand out each delivery once.
func (Cases) ConcurrentClaims(t *testing.T, s store.Store) {
	w := newWebhook(t, s)
	const n = 200
	var ds []domain.Delivery
	for i := range n {
		ds = append(ds, delivery(w, fmt.Sprint("e", i), fmt.Sprint("subject-", i), t0))
	}
	enqueue(t, s, ds...)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				jobs, err := s.Claim(t.Context(), t0, t0.Add(time.Hour), 7)
				if err != nil {
					errc <- err
					return
				}
				if len(jobs) == 0 {
					return
				}
				mu.Lock()
				for _, j := range jobs {
					seen[j.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatalf("Claim: %v", err)
	}
	if len(seen) != n {
		t.Fatalf("%d deliveries claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Fatalf("delivery %s claimed %d times", id, c)
		}
	}
}

// PruneDeliveries: finished deliveries older than the cut are deleted in batches of at
// most limit, oldest first; pending ones and newer ones stay; the queue still works.
func (Cases) PruneDeliveries(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := newWebhook(t, s)
	var ds []domain.Delivery
	for i := range 5 {
		d := delivery(w, fmt.Sprint("e", i), fmt.Sprint("s", i), t0)
		ds = append(ds, d)
		enqueue(t, s, d)
	}
	if ids := claimIDs(t, s, t0, 10); len(ids) != 5 {
		t.Fatalf("claimed %v", ids)
	}
	// ds[0] succeeded at t0+1h, ds[1] failed at t0+2h, ds[2] succeeded at t0+3h; ds[3] and
	// ds[4] are still pending (retrying).
	for i, st := range []domain.Status{domain.Succeeded, domain.Failed, domain.Succeeded, domain.Pending, domain.Pending} {
		f := store.Finish{ID: ds[i].ID, Attempt: 1, Status: st, Outcome: domain.Outcome{StatusCode: 200}, Now: t0.Add(time.Duration(i+1) * time.Hour)}
		if st == domain.Pending {
			f.NextAttemptTime = t0.Add(10 * time.Hour)
		}
		if ok, err := s.Finish(ctx, f); err != nil || !ok {
			t.Fatalf("Finish: %v %v", ok, err)
		}
	}
	cut := t0.Add(150 * time.Minute) // after ds[1], before ds[2]
	if n, err := s.PruneDeliveries(ctx, cut, 1); err != nil || n != 1 {
		t.Fatalf("first batch: %d, %v; want 1", n, err)
	}
	if _, err := s.GetDelivery(ctx, w.ID, ds[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the oldest is not the one pruned first: %v", err)
	}
	if n, err := s.PruneDeliveries(ctx, cut, 10); err != nil || n != 1 {
		t.Fatalf("second batch: %d, %v; want 1", n, err)
	}
	if n, err := s.PruneDeliveries(ctx, t0.Add(100*time.Hour), 10); err != nil || n != 1 {
		t.Fatalf("a later cut: %d, %v; want 1 (ds[2]; pending ones never)", n, err)
	}
	for _, d := range ds[3:] {
		if got, err := s.GetDelivery(ctx, w.ID, d.ID); err != nil || got.Status != domain.Pending {
			t.Fatalf("a pending delivery was pruned: %+v, %v", got, err)
		}
	}
	if ids := claimIDs(t, s, t0.Add(10*time.Hour), 10); len(ids) != 2 {
		t.Fatalf("after pruning, claimed %v; want the two pending", ids)
	}
}
