package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
	"github.com/grantflow/grantflow/services/request/internal/store/memory"
)

// stepTasks models what the task service keeps of steps: OpenStep makes a step's tasks once
// (idempotent per request and step), CancelTasks cancels the open tasks of the request's
// steps that exist.
type stepTasks struct {
	taskv1.TaskInternalServiceClient
	mu    sync.Mutex
	steps map[string]map[string]bool // request id/step -> task id -> open
	calls []string
}

func stepKeyOf(requestID string, index int32) string { return fmt.Sprintf("%s/%d", requestID, index) }

func (f *stepTasks) OpenStep(_ context.Context, in *taskv1.OpenStepRequest, _ ...grpc.CallOption) (*taskv1.OpenStepResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "OpenStep")
	k := stepKeyOf(in.GetRequestId(), in.GetStepIndex())
	if f.steps[k] == nil {
		f.steps[k] = map[string]bool{}
		for _, id := range in.GetTaskIds() {
			f.steps[k][id] = true
		}
	}
	res := &taskv1.OpenStepResponse{}
	for id := range f.steps[k] {
		res.Tasks = append(res.Tasks, &taskv1.Task{Id: id})
	}
	return res, nil
}

func (f *stepTasks) CancelTasks(_ context.Context, in *taskv1.CancelTasksRequest, _ ...grpc.CallOption) (*taskv1.CancelTasksResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "CancelTasks")
	for k, tasks := range f.steps {
		if strings.HasPrefix(k, in.GetRequestId()+"/") {
			for id := range tasks {
				tasks[id] = false
			}
		}
	}
	return &taskv1.CancelTasksResponse{}, nil
}

func (f *stepTasks) open() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, tasks := range f.steps {
		for id, open := range tasks {
			if open {
				out = append(out, id)
			}
		}
	}
	return out
}

// TestCancelDuringOpenStepLeavesNoTaskOpen: a request is cancelled while the OpenStep call of
// its step is in flight where this process does not wait for it (another replica's caller
// path, or a flight here that failed while its call went on), and that call reaches the task
// service last. The work queue delivers the opening's item, then the cancellation's; the
// opening's item of a cancelled request now opens the step all the same, so the
// cancellation behind it finds the tasks and the late call makes none. Before, the item did
// nothing for a closed request, the cancellation found no step, and the late call left the
// step's tasks open for a cancelled request.
func TestCancelDuringOpenStepLeavesNoTaskOpen(t *testing.T) {
	for _, status := range []domain.Status{domain.Cancelled, domain.Failed} {
		t.Run(string(status), func(t *testing.T) {
			st := memory.New()
			defer st.Close()
			tasks := &stepTasks{steps: map[string]map[string]bool{}}
			s := New(Options{Store: st, Tasks: tasks, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			ctx := context.Background()
			now := time.Now()
			r := domain.Request{ID: "r1", Type: domain.GrantAccess, RequesterID: "uma", TargetUserID: "uma", AppID: "figma", Permission: "viewer",
				Status: domain.InProgress, StepIndex: 0, StepOpened: true, TaskIDs: []string{"t1", "t2"}, CreateTime: now, UpdateTime: now, Version: 1}
			in := &taskv1.OpenStepRequest{RequestId: r.ID, StepIndex: 0, StepName: "review", TaskIds: []string{"t1", "t2"}}
			// The commit that recorded the opening, with its work item; then the one that
			// closed the request, with the cancellation of its tasks.
			var openItem, cancelItem *eventsv1.Event
			if err := st.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				if err := tx.CreateRequest(ctx, r); err != nil {
					return err
				}
				var err error
				openItem, err = s.event(ctx, workOpen, r, "", &eventsv1.RequestWork{OpenStep: in})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.close(ctx, r.ID, status, "closed while its step opened", "request."+string(status)); err != nil {
				t.Fatal(err)
			}
			cancelItem, err := s.event(ctx, workCancelTasks, r, "", &eventsv1.RequestWork{Reason: "request closed"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Work(ctx, []*eventsv1.Event{openItem, cancelItem}); err != nil {
				t.Fatal(err)
			}
			// The OpenStep call that was in flight reaches the task service now.
			if _, err := tasks.OpenStep(ctx, in); err != nil {
				t.Fatal(err)
			}
			if open := tasks.open(); len(open) != 0 {
				t.Fatalf("tasks %v open for a %s request (calls %v)", open, status, tasks.calls)
			}
		})
	}
}
