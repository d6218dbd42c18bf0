package task_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/watch"
)

// seen is what a watch received, one line per change: "<task id> <status>" or
// "<task id> removed".
type seen []string

func (h *harness) watchTasks(ctx context.Context, person string, in *taskv1.WatchTasksRequest) taskv1.TaskService_WatchTasksClient {
	h.t.Helper()
	md, _ := metadata.FromOutgoingContext(h.As(person))
	s, err := h.pub.WatchTasks(metadata.NewOutgoingContext(ctx, md), in)
	if err != nil {
		h.t.Fatalf("WatchTasks as %s: %v", person, err)
	}
	return s
}

// next reads n changes of stream, checking that their cursors follow on from after one by
// one (every change of the inbox, in order, none twice), and that every task sent has the
// watcher among its assignees; it returns them and the last cursor.
func next(t *testing.T, stream taskv1.TaskService_WatchTasksClient, watcher string, after string, n int) (seen, string) {
	t.Helper()
	var out seen
	for range n {
		c, err := stream.Recv()
		if err != nil {
			t.Fatalf("watch after %s: %v (received %v)", after, err, out)
		}
		prev, _ := strconv.ParseInt(after, 10, 64)
		if c.GetCursor() != strconv.FormatInt(prev+1, 10) {
			t.Fatalf("watch after %s: cursor %s: a change lost, repeated or out of order (received %v)", after, c.GetCursor(), out)
		}
		after = c.GetCursor()
		switch {
		case c.GetRemovedTaskId() != "" && c.GetTask() == nil:
			out = append(out, c.GetRemovedTaskId()+" removed")
		case c.GetTask() != nil && c.GetRemovedTaskId() == "":
			if !contains(c.GetTask().GetAssigneeIds(), watcher) {
				t.Fatalf("watch of %s's inbox sent task %s assigned to %v", watcher, c.GetTask().GetId(), c.GetTask().GetAssigneeIds())
			}
			out = append(out, c.GetTask().GetId()+" "+c.GetTask().GetStatus().String())
		default:
			t.Fatalf("change %v: want a task or a removed task id", c)
		}
	}
	return out, after
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func sameSeen(t *testing.T, what string, got, want seen) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// TestWatchTasks: a watcher of an inbox receives every change of its tasks in commit order,
// pushed (no polling), and nothing of a task that is not in the inbox; a task reassigned
// away comes as its id only; a watch dropped midway resumes from its last cursor without
// losing a change; a watch from "0" replays the inbox; the request filter keeps one
// request's tasks; only the inbox's owner, Admin and GM may watch it; bad input names the
// field.
func TestWatchTasks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // bounds a hang only
		defer cancel()
		vera := h.IDs["vera"]
		watchCtx, drop := context.WithCancel(ctx)
		stream := h.watchTasks(watchCtx, "vera", &taskv1.WatchTasksRequest{})
		first, err := stream.Recv()
		if err != nil || first.GetTask() != nil || first.GetRemovedTaskId() != "" {
			t.Fatalf("first message of a watch from now: %v, %v; want the cursor alone", first, err)
		}
		from := first.GetCursor()

		t1 := h.open(step{request: "req-w1", assignees: []string{"vera", "otto"}})[0]
		h.open(step{request: "req-w2", assignees: []string{"otto"}}) // not vera's
		all := h.open(step{request: "req-w3", approval: typev1.Approval_ALL, assignees: []string{"vera", "walt"}})
		t3 := all[0]
		if !contains(t3.GetAssigneeIds(), vera) {
			t3 = all[1]
		}
		got, cursor := next(t, stream, vera, from, 2)
		sameSeen(t, "the watch after two steps opened", got, seen{t1.GetId() + " PENDING", t3.GetId() + " PENDING"})

		// The watch drops; vera's approval and a reassignment away from her commit meanwhile.
		drop()
		h.must(h.approve("vera", t1.GetId()))
		h.must(h.pub.ReassignTask(h.As("admin"), &taskv1.ReassignTaskRequest{Id: t3.GetId(), AssigneeIds: h.people("xena"), Note: "vera is away"}))
		h.must(h.approve("walt", otherTask(all, t3).GetId()))

		resumed := h.watchTasks(ctx, "vera", &taskv1.WatchTasksRequest{After: cursor})
		got, _ = next(t, resumed, vera, cursor, 2)
		sameSeen(t, "the resumed watch", got, seen{t1.GetId() + " DONE", t3.GetId() + " removed"})

		// Every change since the inbox began, to its owner and to Admin; one request's only.
		want := seen{t1.GetId() + " PENDING", t3.GetId() + " PENDING", t1.GetId() + " DONE", t3.GetId() + " removed"}
		for _, who := range []string{"vera", "admin"} {
			got, _ = next(t, h.watchTasks(ctx, who, &taskv1.WatchTasksRequest{AssigneeId: vera, After: "0"}), vera, "0", 4)
			sameSeen(t, "the whole inbox watched by "+who, got, want)
		}
		one := h.watchTasks(ctx, "vera", &taskv1.WatchTasksRequest{After: "0", RequestId: "req-w3"})
		for _, w := range []string{t3.GetId() + " PENDING", t3.GetId() + " removed"} {
			c, err := one.Recv()
			if err != nil {
				t.Fatal(err)
			}
			if g := c.GetTask().GetId() + c.GetRemovedTaskId(); g != t3.GetId() {
				t.Fatalf("watch of req-w3's tasks sent %v, want %s", c, w)
			}
		}

		// xena's inbox has t3 from its reassignment on; walt's never had t1.
		got, _ = next(t, h.watchTasks(ctx, "xena", &taskv1.WatchTasksRequest{After: "0"}), h.IDs["xena"], "0", 1)
		sameSeen(t, "xena's inbox", got, seen{t3.GetId() + " PENDING"})

		for _, c := range []struct {
			person string
			in     *taskv1.WatchTasksRequest
			want   codes.Code
			field  string
		}{
			{"otto", &taskv1.WatchTasksRequest{AssigneeId: vera}, codes.PermissionDenied, ""},
			{"vera", &taskv1.WatchTasksRequest{After: "abc"}, codes.InvalidArgument, "after"},
			{"vera", &taskv1.WatchTasksRequest{After: "-1"}, codes.InvalidArgument, "after"},
			{"vera", &taskv1.WatchTasksRequest{After: "99999999999999999999"}, codes.InvalidArgument, "after"},
		} {
			s := h.watchTasks(ctx, c.person, c.in)
			_, err := s.Recv()
			if c.field != "" {
				wantBadField(t, err, c.field)
			}
			wantCode(t, err, c.want)
		}
		s, err := h.pub.WatchTasks(ctx, &taskv1.WatchTasksRequest{})
		if err == nil {
			_, err = s.Recv()
		}
		wantCode(t, err, codes.Unauthenticated)
	})
}

func otherTask(ts []*taskv1.Task, not *taskv1.Task) *taskv1.Task {
	for _, t := range ts {
		if t.GetId() != not.GetId() {
			return t
		}
	}
	return nil
}

// TestWatchTasksConcurrentChanges: changes of one inbox committed concurrently reach its
// watcher all, in the order their cursors say, each task's own changes in version order.
func TestWatchTasksConcurrentChanges(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // bounds a hang only
		defer cancel()
		vera := h.IDs["vera"]
		stream := h.watchTasks(ctx, "vera", &taskv1.WatchTasksRequest{})
		first, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			wg.Go(func() {
				req := fmt.Sprintf("req-c%d", i)
				res, err := h.internal.OpenStep(h.system(), h.openReq(step{request: req, assignees: []string{"vera", "walt"}}))
				if err != nil {
					errs <- err
					return
				}
				approver := "vera"
				if i%2 == 1 {
					approver = "walt"
				}
				_, err = h.approve(approver, res.GetTasks()[0].GetId())
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := next(t, stream, vera, first.GetCursor(), 2*n)
		state := map[string]string{}
		for _, g := range got {
			var id, st string
			fmt.Sscan(g, &id, &st)
			if prev := state[id]; (st == "PENDING" && prev != "") || (st == "DONE" && prev != "PENDING") {
				t.Fatalf("task %s: %s after %q (received %v)", id, st, prev, got)
			}
			state[id] = st
		}
		if len(state) != n {
			t.Fatalf("%d tasks seen, want %d: %v", len(state), n, got)
		}
	})
}

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
			if !watch.IsResumeTooOld(err) {
				t.Fatalf("watch after pruned cursor %s: %v; want FAILED_PRECONDITION %s", after, err, watch.ResumeTooOldReason)
			}
		}
		got, _ := next(t, h.watchTasks(ctx, "vera", &taskv1.WatchTasksRequest{After: "2"}), vera, "2", 2)
		sameSeen(t, "the watch resumed from a kept cursor", got, seen{t1.GetId() + " DONE", t2.GetId() + " DONE"})
	})
}
