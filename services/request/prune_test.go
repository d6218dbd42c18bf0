package request_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/watch"
)

// TestWatchResumeAfterPrune: the changes older than the watch retention are pruned and the
// later ones kept; a watch resumed from a pruned version is refused with
// FAILED_PRECONDITION WATCH_RESUME_TOO_OLD, never answered with a gap; one resumed from a
// kept version still gets every change after it.
func TestWatchResumeAfterPrune(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		r := h.submit("uma", h.grant("", "Figma", "editor"))
		old := r.GetVersion() // versions 1..old made now
		h.clock.Advance(kit.DefaultWatchRetention + time.Hour)
		h.approve("mona", h.pending(r.GetId(), 0, 1)[0].GetId())
		now := h.waitFor(r.GetId(), "the owner's step", func(r *requestv1.Request) bool { return r.GetStepIndex() == 1 && len(r.GetTaskIds()) == 2 })
		if now.GetVersion() <= old {
			t.Fatalf("no change after the approval: version %d", now.GetVersion())
		}
		if n, err := h.reqSvc.PruneWatchLog(t.Context()); err != nil || n != int(old) {
			t.Fatalf("PruneWatchLog = %d, %v; want the %d changes made before the retention", n, err, old)
		}
		if n, err := h.reqSvc.PruneWatchLog(t.Context()); err != nil || n != 0 {
			t.Fatalf("second PruneWatchLog = %d, %v; want 0 (the recent changes are kept)", n, err)
		}

		// From a pruned version: refused, with the reason that says to read again.
		for _, after := range []int64{0, old - 1} {
			stream, err := h.req.WatchRequest(h.as("uma"), &requestv1.WatchRequestRequest{Id: r.GetId(), AfterVersion: after})
			if err == nil {
				var c *requestv1.RequestChange
				c, err = stream.Recv()
				if err == nil {
					t.Fatalf("watch after pruned version %d sent version %d", after, c.GetVersion())
				}
			}
			if code(err) != codes.FailedPrecondition || !watch.IsResumeTooOld(err) {
				t.Fatalf("watch after pruned version %d: %v; want FAILED_PRECONDITION %s", after, err, watch.ResumeTooOldReason)
			}
		}

		// From the last pruned version (its next change kept): every change after it.
		stream, err := h.req.WatchRequest(h.as("uma"), &requestv1.WatchRequestRequest{Id: r.GetId(), AfterVersion: old})
		if err != nil {
			t.Fatal(err)
		}
		last, ended := watchUntil(t, stream, old, func(c *requestv1.RequestChange) bool { return c.GetVersion() == now.GetVersion() })
		if ended || last.GetRequest().GetStepIndex() != 1 {
			t.Fatalf("resumed from kept version %d: last %v, ended %v", old, last, ended)
		}
	})
}
