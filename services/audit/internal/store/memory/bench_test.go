package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
	"github.com/grantflow/grantflow/services/audit/internal/store/memory"
)

// BenchmarkVerify1M walks a chain of 1,000,000 events with a signed checkpoint every 1,000
// in the memory engine: the full verification POST /v1/auditEvents:verify runs. Target:
// under 3 s.
//
//	go test -run '^$' -bench Verify1M -benchtime 3x ./internal/store/memory/
func BenchmarkVerify1M(b *testing.B) {
	const n, every = 1_000_000, 1000
	ctx := context.Background()
	s := memory.New()
	key, _ := domain.NewKey(domain.GenerateSeed())
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	data := []byte(`{"appId":"a-42","permission":"editor","reason":"quarterly access review"}`)
	var h domain.Hasher
	var head store.Head
	for start := 1; start <= n; start += every {
		batch := make([]domain.Event, 0, every)
		for i := start; i < start+every; i++ {
			e := domain.Event{
				Seq: int64(i), ID: fmt.Sprintf("0190a6c4-1b2f-7c3d-9e4f-%012d", i), Time: t0.Add(time.Duration(i) * time.Millisecond),
				ActorID: "u-1234", ActorCredential: "key-1", Service: "grantflow-request", Action: "request.created",
				Subject: "requests/r-1", RequestID: "r-1", PolicyID: "p-1", PolicyVersion: 3, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
				Data: data, IngestTime: t0.Add(time.Duration(i) * time.Millisecond),
			}
			h.Seal(&e, head.Hash)
			head = store.Head{Seq: e.Seq, Hash: e.Hash}
			batch = append(batch, e)
		}
		err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			if err := tx.Insert(ctx, batch); err != nil {
				return err
			}
			_, err := tx.AddCheckpoint(ctx, key.Sign(head.Seq, head.Hash, t0))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		r, err := domain.VerifySource(ctx, s, key.Public(), false)
		if err != nil || !r.OK || r.VerifiedThrough != n || r.CheckpointsChecked != n/every {
			b.Fatalf("%+v %v", r, err)
		}
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perOp, "s/verify")
	b.ReportMetric(n/perOp, "events/s")
}
