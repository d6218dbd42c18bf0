package task_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/watch"
)

// TestWatchTasksResumeAfterPrune: the inbox changes older than the watch retention are
// pruned and the later ones kept; a watch resumed from a pruned cursor is refused with
// FAILED_PRECONDITION WATCH_RESUME_TOO_OLD, never answered with a gap; one resumed from a
// kept cursor still gets every change after it.
func TestWatchTasksResumeAfterPrune(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // bounds a hang only
		defer cancel()
		vera := h.IDs["vera"]
		t1 := h.open(step{request: "req-p1", assignees: []string{"vera"}})[0] // vera's 1 and 2: old
		t2 := h.open(step{request: "req-p2", assignees: []string{"vera"}})[0]
		h.clock.Advance(kit.DefaultWatchRetention + time.Hour)
		h.must(h.approve("vera", t1.GetId())) // vera's 3 and 4: recent
		h.must(h.approve("vera", t2.GetId()))
		if n, err := h.svc.PruneWatchLog(ctx); err != nil || n != 2 {
			t.Fatalf("PruneWatchLog = %d, %v; want the 2 changes made before the retention", n, err)
		}
		if n, err := h.svc.PruneWatchLog(ctx); err != nil || n != 0 {
			t.Fatalf("second PruneWatchLog = %d, %v; want 0 (the recent changes are kept)", n, err)
		}

		for _, after := range []string{"0", "1"} {
			_, err := h.watchTasks(ctx, "vera", &taskv1.WatchTasksRequest{After: after}).Recv()
			if status.Code(err) != codes.FailedPrecondition || !watch.IsResumeTooOld(err) {
				t.Fatalf("watch after pruned cursor %s: %v; want FAILED_PRECONDITION %s", after, err, watch.ResumeTooOldReason)
			}
		}
		got, _ := next(t, h.watchTasks(ctx, "vera", &taskv1.WatchTasksRequest{After: "2"}), vera, "2", 2)
		sameSeen(t, "the watch resumed from a kept cursor", got, seen{t1.GetId() + " DONE", t2.GetId() + " DONE"})
	})
}
