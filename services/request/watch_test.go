package request_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/watch"
)

// watchUntil reads stream until stop holds for a change or the stream ends (io.EOF), checking
// that versions follow on from after one by one: every change, in order, none twice.
func watchUntil(t *testing.T, stream requestv1.RequestService_WatchRequestClient, after int64, stop func(*requestv1.RequestChange) bool) (last *requestv1.RequestChange, ended bool) {
	t.Helper()
	for {
		c, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return last, true
		}
		if err != nil {
			t.Fatalf("watch after version %d: %v", after, err)
		}
		if c.GetVersion() != after+1 || c.GetRequest().GetVersion() != c.GetVersion() {
			t.Fatalf("watch: change of version %d (request version %d) after version %d: a change lost, repeated or out of order",
				c.GetVersion(), c.GetRequest().GetVersion(), after)
		}
		after, last = c.GetVersion(), c
		if stop(c) {
			return last, false
		}
	}
}

// TestWatchRequest: a watcher receives every change of a request, in order, as it happens
// (no polling); a watch dropped midway resumes from the last version it received without
// losing a change; a closed request's watch ends; only who may see the request may watch it.
func TestWatchRequest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx, cancel := context.WithCancel(h.as("uma"))
		defer cancel()
		r := h.submit("uma", h.grant("", "Figma", "editor"))
		stream, err := h.req.WatchRequest(ctx, &requestv1.WatchRequestRequest{Id: r.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		// The manager's step is open once the submit answered: the watch sees the request up
		// to there, then the manager's approval and the owner's step opening, as they commit.
		last, _ := watchUntil(t, stream, 0, func(c *requestv1.RequestChange) bool { return c.GetVersion() == r.GetVersion() })
		if last.GetRequest().GetStatus() != requestv1.Request_IN_PROGRESS || len(last.GetRequest().GetTaskIds()) != 1 {
			t.Fatalf("first changes end with %v", last.GetRequest())
		}
		h.approve("mona", h.pending(r.GetId(), 0, 1)[0].GetId())
		last, ended := watchUntil(t, stream, last.GetVersion(), func(c *requestv1.RequestChange) bool {
			return len(c.GetRequest().GetTaskIds()) == 2
		})
		if ended || last.GetRequest().GetStepIndex() != 1 {
			t.Fatalf("after the manager's approval the watch saw %v (ended %v)", last.GetRequest(), ended)
		}
		// The watch drops; the request goes on to DONE meanwhile.
		cancel()
		dropped := last.GetVersion()
		h.approve("otto", h.pending(r.GetId(), 1, 1)[0].GetId())
		h.complete("otto", h.pending(r.GetId(), 2, 1)[0].GetId())
		done := h.waitStatus(r.GetId(), requestv1.Request_DONE)

		// Resumed from the last version received: every change made while nobody watched, in
		// order, then the end of the stream (the request is closed).
		resumed, err := h.req.WatchRequest(h.as("otto"), &requestv1.WatchRequestRequest{Id: r.GetId(), AfterVersion: dropped})
		if err != nil {
			t.Fatal(err)
		}
		last, ended = watchUntil(t, resumed, dropped, func(*requestv1.RequestChange) bool { return false })
		if !ended || last.GetVersion() != done.GetVersion() || last.GetRequest().GetStatus() != requestv1.Request_DONE {
			t.Fatalf("resumed watch: last %v, ended %v; the request is at version %d", last, ended, done.GetVersion())
		}
		// A watch from the start replays the whole history.
		all, err := h.req.WatchRequest(h.as("admin"), &requestv1.WatchRequestRequest{Id: r.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if last, ended = watchUntil(t, all, 0, func(*requestv1.RequestChange) bool { return false }); !ended || last.GetVersion() != done.GetVersion() {
			t.Fatalf("whole history: last %v, ended %v", last, ended)
		}
		// Up to date on a closed request: the stream ends at once.
		upToDate, err := h.req.WatchRequest(h.as("uma"), &requestv1.WatchRequestRequest{Id: r.GetId(), AfterVersion: done.GetVersion()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := upToDate.Recv(); !errors.Is(err, io.EOF) {
			t.Fatalf("watch of a closed request, up to date: %v", err)
		}

		// Who may not see the request may not watch it; bad input names the field.
		for _, c := range []struct {
			person string
			in     *requestv1.WatchRequestRequest
			want   codes.Code
		}{
			{"ulf", &requestv1.WatchRequestRequest{Id: r.GetId()}, codes.NotFound},
			{"uma", &requestv1.WatchRequestRequest{Id: "no-such-request"}, codes.NotFound},
			{"uma", &requestv1.WatchRequestRequest{}, codes.InvalidArgument},
			{"uma", &requestv1.WatchRequestRequest{Id: r.GetId(), AfterVersion: -1}, codes.InvalidArgument},
		} {
			s, err := h.req.WatchRequest(h.as(c.person), c.in)
			if err == nil {
				_, err = s.Recv()
			}
			if code(err) != c.want {
				t.Errorf("watch %v as %s: %v, want %v", c.in, c.person, err, c.want)
			}
		}
	})
}

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
			if !watch.IsResumeTooOld(err) {
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
