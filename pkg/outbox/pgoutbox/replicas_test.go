package pgoutbox_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
)

// receiver is the sink of every replica's relay, as the receiving service sees the
// deliveries: one log in arrival order, and the events each replica had accepted.
type receiver struct {
	mu       sync.Mutex
	log      []string
	accepted map[string]int
}

func newReceiver() *receiver { return &receiver{accepted: map[string]int{}} }

// sink is the sink of replica; block, if set, makes a delivery hang until its context ends
// (a replica that dies mid-batch).
func (r *receiver) sink(replica string, block func() bool) outbox.Sink {
	return outbox.SinkFunc(func(ctx context.Context, events []*eventsv1.Event) error {
		if block != nil && block() {
			<-ctx.Done()
			return ctx.Err()
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, ev := range events {
			r.log = append(r.log, ev.Id)
		}
		r.accepted[replica] += len(events)
		return nil
	})
}

func (r *receiver) share(replica string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted[replica]
}

// check fails t unless every event of subjects (count each, ids "<subject>#<i>") arrived,
// and per subject, first arrivals in append order. Duplicates are allowed (receivers dedupe).
func (r *receiver) check(t *testing.T, subjects []string, count int) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	next := map[string]int{}
	seen := map[string]bool{}
	for _, id := range r.log {
		if seen[id] {
			continue
		}
		seen[id] = true
		subject, i, _ := strings.Cut(id, "#")
		if want := fmt.Sprintf("%d", next[subject]); i != want {
			t.Errorf("subject %s: event #%s arrived first where #%s was due: out of order", subject, i, want)
		}
		next[subject]++
	}
	for _, s := range subjects {
		if next[s] != count {
			t.Errorf("subject %s: %d of %d events arrived", s, next[s], count)
		}
	}
}

func (r *receiver) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	for _, id := range r.log {
		seen[id] = true
	}
	return len(seen)
}

// replica runs the relays of one process on the outbox of db until the returned stop.
func replica(t *testing.T, db *pgstore.DB, sink outbox.Sink) (stop func()) {
	t.Helper()
	rs, err := outbox.NewRelays("grantflow-test", pgoutbox.NewStore(db.Pool()), slog.New(slog.DiscardHandler),
		outbox.Target{Name: "audit", Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rs.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// leasedBy returns how many partition locks of the outbox each backend holds.
func leasedBy(t *testing.T, db *pgstore.DB) map[int32]int {
	t.Helper()
	rows, err := db.Pool().Query(t.Context(), `SELECT pid, count(*)::int FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 2 AND objid < $1 AND granted AND mode = 'ExclusiveLock'
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) GROUP BY pid`, pgoutbox.Partitions)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int{}
	var pid int32
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&pid, &n}, func() error { out[pid] = n; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// balanced reports whether replicas backends lease every partition, evenly.
func balanced(t *testing.T, db *pgstore.DB, replicas int) bool {
	held := leasedBy(t, db)
	if len(held) != replicas {
		return false
	}
	for _, n := range held {
		if n != pgoutbox.Partitions/replicas {
			return false
		}
	}
	return true
}

func appendEvents(t *testing.T, db *pgstore.DB, subjects []string, count int) {
	t.Helper()
	for i := range count {
		for _, s := range subjects {
			err := db.InTx(t.Context(), func(tx pgx.Tx) error {
				return pgoutbox.Append(t.Context(), tx, []string{"audit"}, &eventsv1.Event{Id: fmt.Sprintf("%s#%d", s, i), Subject: s})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func subjects(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("requests/r%d", i)
	}
	return out
}

func TestPartitionIsStableAndSpread(t *testing.T) {
	// The partition is stored with each row: it must not change between versions.
	for subject, want := range map[string]int{"requests/r1": 9, "tasks/t1": 5} {
		if got := pgoutbox.Partition(subject); got != want {
			t.Fatalf("Partition(%q) = %d, want %d (FNV-1a mod 16)", subject, got, want)
		}
	}
	used := map[int]bool{}
	for _, s := range subjects(200) {
		p := pgoutbox.Partition(s)
		if p < 0 || p >= pgoutbox.Partitions {
			t.Fatalf("partition %d of %s out of range", p, s)
		}
		used[p] = true
	}
	if len(used) != pgoutbox.Partitions {
		t.Errorf("200 subjects fell in %d of %d partitions", len(used), pgoutbox.Partitions)
	}
}

// Two replicas relaying one outbox split its partitions evenly, both deliver, and every
// event arrives, in order per subject.
func TestTwoReplicasSplitTheOutboxAndKeepOrderPerSubject(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	recv := newReceiver()
	replica(t, db, recv.sink("a", nil))
	replica(t, db, recv.sink("b", nil))
	eventually(t, "the two replicas to lease 8 partitions each", func() bool { return balanced(t, db, 2) })

	subs := subjects(24)
	appendEvents(t, db, subs, 8)
	eventually(t, "every event delivered", func() bool { return recv.delivered() == len(subs)*8 })
	recv.check(t, subs, 8)
	a, b := recv.share("a"), recv.share("b")
	t.Logf("replica a accepted %d events, b %d", a, b)
	if a == 0 || b == 0 {
		t.Errorf("replica a accepted %d events and b %d: both must take a share", a, b)
	}
}

// A replica that dies in the middle of a delivery loses nothing: the other takes its
// partitions over and delivers its unacknowledged batch and the rest, in order per subject.
func TestASurvivingReplicaTakesOverADeadOnesPartitions(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	recv := newReceiver()
	replica(t, db, recv.sink("a", nil))
	var once sync.Once
	entered := make(chan struct{})
	stopB := replica(t, db, recv.sink("b", func() bool {
		once.Do(func() { close(entered) }) // b's batch hangs: b dies with it unacknowledged
		return true
	}))
	eventually(t, "the two replicas to lease 8 partitions each", func() bool { return balanced(t, db, 2) })

	subs := subjects(24)
	appendEvents(t, db, subs, 8)
	receive(t, "replica b's hanging delivery", entered)
	stopB()
	eventually(t, "replica a to lease every partition", func() bool { return balanced(t, db, 1) })
	eventually(t, "every event delivered", func() bool { return recv.delivered() == len(subs)*8 })
	recv.check(t, subs, 8)
	if b := recv.share("b"); b != 0 {
		t.Errorf("replica b accepted %d events; its sink never returned", b)
	}
}

func receive(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	eventually(t, what, func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	})
}
