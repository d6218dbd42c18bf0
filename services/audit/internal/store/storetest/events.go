package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

func (Cases) EmptyLog(t *testing.T, s store.Store) {
	ctx := t.Context()
	storetestkit.Exact(t, "Head", storetestkit.Must(s.Head(ctx))(t), store.Head{})
	storetestkit.Exact(t, "ListEvents", len(list(t, s, store.Filter{}, 10)), 0)
	storetestkit.Exact(t, "Scan", len(all(t, s)), 0)
	storetestkit.Exact(t, "AllCheckpoints", len(storetestkit.Must(s.AllCheckpoints(ctx))(t)), 0)
	if _, ok, err := s.LatestCheckpoint(ctx); ok || err != nil {
		t.Fatalf("LatestCheckpoint on an empty log: ok=%v err=%v", ok, err)
	}
	storetestkit.Exact(t, "KnownIDs", len(storetestkit.Must(s.KnownIDs(ctx, []string{"x"}))(t)), 0)
}

func (Cases) AppendRoundTrip(t *testing.T, s store.Store) {
	full := ev("a", func(e *domain.Event) {
		e.RequestID, e.PolicyID, e.PolicyVersion, e.TaskID, e.TraceID = "r1", "p1", 3, "t1", "4bf92f3577b34da6a3ce929d0e0e4736"
		e.Data = []byte(`{"b":[1,2],"\u00e9":"x"}`)
	})
	empty := ev("b", func(e *domain.Event) {
		e.Data = nil
		e.ActorCredential = ""
		e.Time = time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)
	})
	want := appendEvents(t, s, full, empty)
	want = append(want, appendEvents(t, s, ev("c"))...)
	storetestkit.Exact(t, "ListEvents", list(t, s, store.Filter{}, 10), want)
	storetestkit.Exact(t, "Scan", all(t, s), want)
	storetestkit.Exact(t, "Head", storetestkit.Must(s.Head(t.Context()))(t), store.Head{Seq: 3, Hash: want[2].Hash})
	storetestkit.Exact(t, "seqs", seqs(want), []int64{1, 2, 3})
	if want[1].PrevHash != want[0].Hash || want[2].PrevHash != want[1].Hash {
		t.Fatal("the helper did not chain the events")
	}
}

func (Cases) InsertMustContinueTheHead(t *testing.T, s store.Store) {
	appendEvents(t, s, ev("a"))
	for name, seq := range map[string]int64{"gap": 3, "repeat": 1, "zero": 0} {
		err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
			e := seal(store.Head{Seq: seq - 1}, ev("new-"+name))
			return tx.Insert(ctx, e)
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: Insert of seq %d after head 1: %v, want ErrConflict", name, seq, err)
		}
	}
	storetestkit.Exact(t, "events", ids(all(t, s)), []string{"a"})
}

func (Cases) InsertRefusesKnownIDs(t *testing.T, s store.Store) {
	appendEvents(t, s, ev("a"))
	for name, batch := range map[string][]domain.Event{
		"stored id":         {ev("b"), ev("a")},
		"id twice in batch": {ev("c"), ev("c")},
	} {
		err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
			head, err := tx.LockHead(ctx)
			if err != nil {
				return err
			}
			return tx.Insert(ctx, seal(head, batch...))
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("%s: %v, want ErrConflict", name, err)
		}
	}
	storetestkit.Exact(t, "events", ids(all(t, s)), []string{"a"})
}

func (Cases) KnownIDs(t *testing.T, s store.Store) {
	appendEvents(t, s, ev("a"), ev("b"))
	storetestkit.Exact(t, "KnownIDs", storetestkit.Must(s.KnownIDs(t.Context(), []string{"a", "x", "b"}))(t), map[string]bool{"a": true, "b": true})
	storetestkit.Exact(t, "KnownIDs(none)", len(storetestkit.Must(s.KnownIDs(t.Context(), nil))(t)), 0)
}

func (Cases) TxReadsItsOwnWrites(t *testing.T, s store.Store) {
	appendEvents(t, s, ev("a"))
	err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
		head := storetestkit.Must(tx.LockHead(ctx))(t)
		sealed := seal(head, ev("b"), ev("c"))
		if err := tx.Insert(ctx, sealed); err != nil {
			return err
		}
		storetestkit.Exact(t, "Head in tx", storetestkit.Must(tx.Head(ctx))(t), store.Head{Seq: 3, Hash: sealed[1].Hash})
		storetestkit.Exact(t, "KnownIDs in tx", storetestkit.Must(tx.KnownIDs(ctx, []string{"a", "c"}))(t), map[string]bool{"a": true, "c": true})
		storetestkit.Exact(t, "ListEvents in tx", ids(list(t, tx, store.Filter{}, 10)), []string{"a", "b", "c"})
		var scanned []string
		if err := tx.Scan(ctx, 2, func(e *domain.Event) error { scanned = append(scanned, e.ID); return nil }); err != nil {
			return err
		}
		storetestkit.Exact(t, "Scan in tx", scanned, []string{"b", "c"})
		cp := domain.Checkpoint{Seq: 3, HeadHash: sealed[1].Hash, Time: t0, KeyID: "k", Signature: []byte("sig")}
		if ok, err := tx.AddCheckpoint(ctx, cp); !ok || err != nil {
			t.Fatalf("AddCheckpoint: %v %v", ok, err)
		}
		latest, ok := must2(tx.LatestCheckpoint(ctx))(t)
		storetestkit.Exact(t, "LatestCheckpoint in tx", latest.Seq, int64(3))
		storetestkit.Exact(t, "found", ok, true)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	storetestkit.Exact(t, "after commit", ids(all(t, s)), []string{"a", "b", "c"})
}

var errBoom = errors.New("boom")

func (Cases) ClosureErrorLeavesNothing(t *testing.T, s store.Store) {
	appendEvents(t, s, ev("a"))
	storetestkit.FailTx(t, s, func(ctx context.Context, tx store.Tx) error {
		head := storetestkit.Must(tx.LockHead(ctx))(t)
		sealed := seal(head, ev("b"))
		if err := tx.Insert(ctx, sealed); err != nil {
			return err
		}
		_, err := tx.AddCheckpoint(ctx, domain.Checkpoint{Seq: 2, HeadHash: sealed[0].Hash, Time: t0, KeyID: "k", Signature: []byte("s")})
		return err
	}, errBoom)
	storetestkit.Exact(t, "events", ids(all(t, s)), []string{"a"})
	storetestkit.Exact(t, "checkpoints", len(storetestkit.Must(s.AllCheckpoints(t.Context()))(t)), 0)
	storetestkit.Exact(t, "known", len(storetestkit.Must(s.KnownIDs(t.Context(), []string{"b"}))(t)), 0)
	// The store still takes appends after the failed transaction.
	appendEvents(t, s, ev("b"))
	storetestkit.Exact(t, "events after", ids(all(t, s)), []string{"a", "b"})
}

func (Cases) ClosurePanicLeavesNothing(t *testing.T, s store.Store) {
	storetestkit.PanicTx(t, s, func(ctx context.Context, tx store.Tx) error {
		head := storetestkit.Must(tx.LockHead(ctx))(t)
		return tx.Insert(ctx, seal(head, ev("a")))
	})
	storetestkit.Exact(t, "events", len(all(t, s)), 0)
	appendEvents(t, s, ev("a"))
	storetestkit.Exact(t, "events after", ids(all(t, s)), []string{"a"})
}

func (Cases) ListEventsFilters(t *testing.T, s store.Store) {
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	appendEvents(t, s,
		ev(n(1), func(e *domain.Event) { e.Subject, e.ActorID, e.Time = "users/u2", "u1", at(0) }),
		ev(n(2), func(e *domain.Event) { e.Subject, e.ActorID, e.Time = "users/u3", "u2", at(1) }),
		ev(n(3), func(e *domain.Event) { e.Subject, e.ActorID, e.Time = "users/u2", "u2", at(2) }),
	)
	appendEvents(t, s,
		ev(n(4), func(e *domain.Event) { e.Subject, e.ActorID, e.Time = "apps/a1", "u1", at(3) }),
		ev(n(5), func(e *domain.Event) { e.Subject, e.ActorID, e.Time = "users/u2", "u1", at(-1) }),
	)
	for _, tc := range []struct {
		name  string
		f     store.Filter
		limit int
		want  []string
	}{
		{"all", store.Filter{}, 10, []string{n(1), n(2), n(3), n(4), n(5)}},
		{"limit", store.Filter{}, 2, []string{n(1), n(2)}},
		{"after", store.Filter{AfterSeq: 2}, 10, []string{n(3), n(4), n(5)}},
		{"after and through", store.Filter{AfterSeq: 1, ThroughSeq: 3}, 10, []string{n(2), n(3)}},
		{"subject", store.Filter{Subject: "users/u2"}, 10, []string{n(1), n(3), n(5)}},
		{"actor", store.Filter{ActorID: "u2"}, 10, []string{n(2), n(3)}},
		{"subject and actor", store.Filter{Subject: "users/u2", ActorID: "u1"}, 10, []string{n(1), n(5)}},
		{"since inclusive", store.Filter{Since: at(1)}, 10, []string{n(2), n(3), n(4)}},
		{"until exclusive", store.Filter{Until: at(1)}, 10, []string{n(1), n(5)}},
		{"since and until", store.Filter{Since: at(0), Until: at(3)}, 10, []string{n(1), n(2), n(3)}},
		{"subject after", store.Filter{Subject: "users/u2", AfterSeq: 1}, 1, []string{n(3)}},
		{"nothing", store.Filter{Subject: "nobody"}, 10, []string{}},
	} {
		storetestkit.Exact(t, tc.name, ids(list(t, s, tc.f, tc.limit)), tc.want)
	}
}

func (Cases) ListEventsLineage(t *testing.T, s store.Store) {
	pv := func(action, subject, request, policy string, version int64) domain.Event {
		return ev(subject+"/"+action, func(e *domain.Event) {
			e.Action, e.Subject, e.RequestID, e.PolicyID, e.PolicyVersion = action, subject, request, policy, version
		})
	}
	appendEvents(t, s,
		pv("policy.created", "policies/p1", "", "p1", 0),
		pv("policy.version.created", "policies/p1/versions/1", "", "p1", 1),
		pv("policy.version.created", "policies/p1/versions/2", "", "p1", 2),
		pv("policy.version.activated", "policies/p1/versions/2", "", "p1", 2),
		pv("policy.version.created", "policies/p2/versions/2", "", "p2", 2),
	)
	appendEvents(t, s,
		pv("request.created", "requests/r1", "r1", "p1", 2),
		pv("request.created", "requests/r2", "r2", "p2", 2),
		pv("task.created", "tasks/t1", "r1", "", 0),
		pv("task.approved", "tasks/t1", "r1", "", 0),
		pv("user.updated", "users/u1", "", "", 0),
		pv("policy.version.retired", "policies/p1/versions/2", "", "p1", 2),
	)
	storetestkit.Exact(t, "lineage of r1", ids(list(t, s, store.Filter{RequestID: "r1"}, 100)), []string{
		"policies/p1/versions/2/policy.version.created", "policies/p1/versions/2/policy.version.activated",
		"requests/r1/request.created", "tasks/t1/task.created", "tasks/t1/task.approved",
		"policies/p1/versions/2/policy.version.retired",
	})
	storetestkit.Exact(t, "lineage of r1, paged", ids(list(t, s, store.Filter{RequestID: "r1", AfterSeq: 4}, 2)), []string{
		"requests/r1/request.created", "tasks/t1/task.created",
	})
	storetestkit.Exact(t, "lineage of r2", ids(list(t, s, store.Filter{RequestID: "r2"}, 100)), []string{
		"policies/p2/versions/2/policy.version.created", "requests/r2/request.created",
	})
	storetestkit.Exact(t, "lineage with a subject", ids(list(t, s, store.Filter{RequestID: "r1", Subject: "tasks/t1"}, 100)), []string{
		"tasks/t1/task.created", "tasks/t1/task.approved",
	})
	storetestkit.Exact(t, "lineage of an unknown request", ids(list(t, s, store.Filter{RequestID: "r9"}, 100)), []string{})
}

func (Cases) ScanFromAndStop(t *testing.T, s store.Store) {
	appendEvents(t, s, ev("a"), ev("b"), ev("c"), ev("d"))
	var got []string
	err := s.Scan(t.Context(), 2, func(e *domain.Event) error {
		got = append(got, e.ID)
		if e.ID == "c" {
			return errBoom
		}
		return nil
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Scan: %v, want fn's error", err)
	}
	storetestkit.Exact(t, "scanned", got, []string{"b", "c"})
	got = nil
	if err := s.Scan(t.Context(), 9, func(e *domain.Event) error { got = append(got, e.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	storetestkit.Exact(t, "beyond the head", len(got), 0)
}

func (Cases) Checkpoints(t *testing.T, s store.Store) {
	sealed := appendEvents(t, s, ev("a"), ev("b"), ev("c"))
	mk := func(seq int64) domain.Checkpoint {
		return domain.Checkpoint{Seq: seq, HeadHash: sealed[seq-1].Hash, Time: t0.Add(time.Duration(seq) * time.Microsecond), KeyID: "k1", Signature: []byte{byte(seq), 1, 2}}
	}
	add := func(cp domain.Checkpoint) bool {
		var ok bool
		err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) (err error) {
			ok, err = tx.AddCheckpoint(ctx, cp)
			return err
		})
		if err != nil {
			t.Fatalf("AddCheckpoint(%d): %v", cp.Seq, err)
		}
		return ok
	}
	storetestkit.Exact(t, "add 3", add(mk(3)), true)
	storetestkit.Exact(t, "add 1", add(mk(1)), true)
	storetestkit.Exact(t, "add 2", add(mk(2)), true)
	dup := mk(2)
	dup.Signature = []byte("other")
	storetestkit.Exact(t, "add 2 again", add(dup), false)
	storetestkit.Exact(t, "AllCheckpoints", storetestkit.Must(s.AllCheckpoints(t.Context()))(t), []domain.Checkpoint{mk(1), mk(2), mk(3)})
	storetestkit.Exact(t, "ListCheckpoints", storetestkit.Must(s.ListCheckpoints(t.Context(), 1, 1))(t), []domain.Checkpoint{mk(2)})
	storetestkit.Exact(t, "ListCheckpoints to the end", storetestkit.Must(s.ListCheckpoints(t.Context(), 2, 10))(t), []domain.Checkpoint{mk(3)})
	latest, ok := must2(s.LatestCheckpoint(t.Context()))(t)
	storetestkit.Exact(t, "LatestCheckpoint", latest, mk(3))
	storetestkit.Exact(t, "found", ok, true)
}

func (Cases) SigningSeedFirstWins(t *testing.T, s store.Store) {
	a, b := make([]byte, 32), make([]byte, 32)
	a[0], b[0] = 1, 2
	storetestkit.Exact(t, "first", storetestkit.Must(s.SigningSeed(t.Context(), a))(t), a)
	storetestkit.Exact(t, "second", storetestkit.Must(s.SigningSeed(t.Context(), b))(t), a)
}

func must2[A, B any](a A, b B, err error) func(testing.TB) (A, B) {
	return func(t testing.TB) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
