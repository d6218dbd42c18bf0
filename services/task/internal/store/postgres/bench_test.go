package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// BenchmarkInbox measures the inbox query, ListTasks(assignee, PENDING, first page of 50),
// on a store seeded through CreateTask with GRANTFLOW_BENCH_TASKS tasks (default 100,000)
// in transactions of 1,000:
//
//   - 2,000 people; a task of an ANY step (30%) is shared by 3 of them, the others have one
//     assignee each;
//   - one "admin" on 10% of all tasks (the fallback of specs that resolve to nobody);
//   - pending tasks are mostly recent, as in a real inbox: 80% of the newest fifth of the
//     tasks, 2.5% of the older ones (about 18% in all); the rest done, declined or
//     cancelled.
//
// It reports p50 and p99 latencies in microseconds for a typical person and for the admin.
//
//	cd services/task && go test -run '^$' -bench Inbox -benchtime 2000x ./internal/store/postgres/
func BenchmarkInbox(b *testing.B) {
	n := pgtest.BenchSize(b, "GRANTFLOW_BENCH_TASKS", 100_000)
	const people = 2000
	s := New(pgtest.NewDatabase(b, Schema.Options("")))
	ctx := context.Background()

	start := time.Now()
	seed(b, s, n, people)
	if _, err := s.DB().Pool().Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d tasks in %s", n, time.Since(start).Round(time.Millisecond))
	explain(b, s, store.Filter{AssigneeID: "user-0042", Status: domain.Pending})
	explain(b, s, store.Filter{AssigneeID: "admin", Status: domain.Pending})

	rng := rand.New(rand.NewPCG(7, 7))
	var typical, admin []time.Duration
	var sizes int
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		who, lat := fmt.Sprintf("user-%04d", rng.IntN(people)), &typical
		if i%2 == 1 {
			who, lat = "admin", &admin
		}
		t0 := time.Now()
		page, err := s.ListTasks(ctx, store.Filter{AssigneeID: who, Status: domain.Pending}, store.Page{Size: 51})
		*lat = append(*lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		sizes += len(page)
	}
	b.StopTimer()
	pgtest.ReportPercentiles(b, "typical", typical, 50, 99)
	pgtest.ReportPercentiles(b, "admin", admin, 50, 99)
	b.ReportMetric(float64(sizes)/float64(b.N), "tasks/op")
}

// seed writes n tasks through the store, 1,000 per transaction.
func seed(b *testing.B, s *Store, n, people int) {
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []domain.Status{domain.Done, domain.Done, domain.Declined, domain.Cancelled}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 1000
	for done := 0; done < n; done += batch {
		err := s.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			for i := done; i < min(n, done+batch); i++ {
				ids := []string{fmt.Sprintf("user-%04d", rng.IntN(people))}
				approval := domain.All
				if rng.IntN(10) < 3 {
					approval = domain.Any
					ids = append(ids, fmt.Sprintf("user-%04d", rng.IntN(people)), fmt.Sprintf("user-%04d", rng.IntN(people)))
				}
				if rng.IntN(10) == 0 {
					ids = append(ids, "admin")
				}
				st := statuses[rng.IntN(len(statuses))]
				if (i >= n*4/5 && rng.IntN(5) != 0) || (i < n*4/5 && rng.IntN(40) == 0) {
					st = domain.Pending
				}
				now := t0.Add(time.Duration(i) * time.Second)
				t := domain.Task{
					ID: uuid.Must(uuid.NewV7()).String(), Type: domain.Review, RequestID: fmt.Sprintf("req-%06d", i/4), StepIndex: i % 4,
					PolicyID: "pol", PolicyVersion: 1, StepName: "review", Assignee: domain.Assignee{Kind: "APP_OWNER"},
					AssigneeIDs: ids, Approval: approval, Action: "Grant editor on Figma", Status: st,
					History:    []domain.HistoryEntry{{Time: now, ActorID: domain.SystemActor, Event: domain.EventCreated}},
					CreateTime: now, UpdateTime: now, Version: 1,
				}
				if st != domain.Pending && st != domain.Cancelled {
					t.Decision = domain.Approve
					if st == domain.Declined {
						t.Decision = domain.Decline
					}
				}
				if err := tx.CreateTask(ctx, t); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
}

// explain logs the plan of the inbox query as ListTasks sends it.
func explain(b *testing.B, s *Store, f store.Filter) {
	sql, args := listQuery(f, store.Page{Size: 51})
	fmt.Fprintf(os.Stderr, "inbox of %s:\n%s\n", f.AssigneeID, pgtest.Explain(b, s.DB().Pool(), sql, args...))
}
