package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 891011000, time.UTC)

// ev is an unsealed event; seal gives it its place in the chain.
func ev(id string, mod ...func(*domain.Event)) domain.Event {
	e := domain.Event{
		ID: id, Time: t0, ActorID: "u1", ActorCredential: "key-1", Service: "grantflow-test",
		Action: "thing.done", Subject: "things/" + id, Data: []byte(`{"id":"` + id + `"}`), IngestTime: t0.Add(time.Second),
	}
	for _, m := range mod {
		m(&e)
	}
	return e
}

// seal numbers events after head and chains them.
func seal(head store.Head, events ...domain.Event) []domain.Event {
	var h domain.Hasher
	prev := head.Hash
	out := make([]domain.Event, len(events))
	for i, e := range events {
		e.Seq = head.Seq + 1 + int64(i)
		h.Seal(&e, prev)
		prev = e.Hash
		out[i] = e
	}
	return out
}

// appendEvents stores events as the service does: lock, seal after the head, insert.
func appendEvents(t testing.TB, s store.Store, events ...domain.Event) []domain.Event {
	t.Helper()
	var sealed []domain.Event
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		head, err := tx.LockHead(ctx)
		if err != nil {
			return err
		}
		sealed = seal(head, events...)
		return tx.Insert(ctx, sealed)
	})
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return sealed
}

func ids(events []domain.Event) []string {
	out := []string{}
	for _, e := range events {
		out = append(out, e.ID)
	}
	return out
}

func seqs(events []domain.Event) []int64 {
	out := []int64{}
	for _, e := range events {
		out = append(out, e.Seq)
	}
	return out
}

func list(t testing.TB, r store.Reader, f store.Filter, limit int) []domain.Event {
	t.Helper()
	events, err := r.ListEvents(t.Context(), f, limit)
	if err != nil {
		t.Fatalf("ListEvents(%+v): %v", f, err)
	}
	return events
}

func all(t testing.TB, r store.Reader) []domain.Event {
	t.Helper()
	var out []domain.Event
	if err := r.Scan(t.Context(), 1, func(e *domain.Event) error { out = append(out, *e); return nil }); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	return out
}

func n(i int) string { return fmt.Sprintf("e%03d", i) }
