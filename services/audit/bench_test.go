package audit_test

import (
	"fmt"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/pgtest"
)

// BenchmarkDeliverEventsPostgres appends batches through the real path: gRPC over bufconn
// with the kit's server chain, validation, canonical JSON, dedupe, chaining under the
// advisory lock, one COPY per batch, on PostgreSQL. Target: at least 1,000 events/s.
//
//	go test -run '^$' -bench DeliverEventsPostgres -benchtime 5s .
func BenchmarkDeliverEventsPostgres(b *testing.B) {
	for _, size := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			h := newHarness(b, harnessOptions{postgresURL: pgtest.NewEmptyDatabase(b)})
			n := 0
			for b.Loop() {
				batch := make([]*eventsv1.Event, size)
				for i := range batch {
					n++
					batch[i] = event(fmt.Sprintf("0190a6c4-1b2f-7c3d-9e4f-%012d", n), func(e *eventsv1.Event) {
						e.Subject, e.RequestId = fmt.Sprintf("requests/r%d", n%97), fmt.Sprintf("r%d", n%97)
					})
				}
				if got := h.mustDeliver(batch...); int(got) != size {
					b.Fatalf("accepted %d of %d", got, size)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
