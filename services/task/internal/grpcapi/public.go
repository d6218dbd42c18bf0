package grpcapi

import (
	"context"

	"google.golang.org/grpc"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/task/internal/app"
	"github.com/grantflow/grantflow/services/task/internal/domain"
)

// Public implements grantflow.task.v1.TaskService.
type Public struct {
	taskv1.UnimplementedTaskServiceServer
	App *app.Service
}

func (h *Public) ListTasks(ctx context.Context, r *taskv1.ListTasksRequest) (*taskv1.ListTasksResponse, error) {
	ts, next, err := h.App.ListTasks(ctx, app.ListQuery{
		AssigneeID: r.GetAssigneeId(), Status: pbconv.Name[domain.Status](r.GetStatus()), RequestID: r.GetRequestId(),
		PageSize: r.GetPageSize(), PageToken: r.GetPageToken(),
	})
	return pbconv.Page(&taskv1.ListTasksResponse{Tasks: pbconv.Map(ts, taskPB), NextPageToken: next}, err)
}

func (h *Public) GetTask(ctx context.Context, r *taskv1.GetTaskRequest) (*taskv1.Task, error) {
	return pbconv.Reply(taskPB)(h.App.GetTask(ctx, r.GetId()))
}

func (h *Public) CreateTask(ctx context.Context, r *taskv1.CreateTaskRequest) (*taskv1.Task, error) {
	return pbconv.Reply(taskPB)(h.App.CreateTask(ctx, app.NewStandalone{AssigneeIDs: r.GetAssigneeIds(), Action: r.GetAction(), Note: r.GetNote()}))
}

func (h *Public) ApproveTask(ctx context.Context, r *taskv1.ApproveTaskRequest) (*taskv1.Task, error) {
	return pbconv.Reply(taskPB)(h.App.Approve(ctx, r.GetId(), r.GetJustification(), r.GetEtag()))
}

func (h *Public) DeclineTask(ctx context.Context, r *taskv1.DeclineTaskRequest) (*taskv1.Task, error) {
	return pbconv.Reply(taskPB)(h.App.Decline(ctx, r.GetId(), r.GetJustification(), r.GetEtag()))
}

func (h *Public) CompleteTask(ctx context.Context, r *taskv1.CompleteTaskRequest) (*taskv1.Task, error) {
	return pbconv.Reply(taskPB)(h.App.Complete(ctx, r.GetId(), r.GetNote(), r.GetEtag()))
}

func (h *Public) ReassignTask(ctx context.Context, r *taskv1.ReassignTaskRequest) (*taskv1.Task, error) {
	return pbconv.Reply(taskPB)(h.App.Reassign(ctx, r.GetId(), r.GetAssigneeIds(), r.GetNote(), r.GetEtag()))
}

// WatchTasks streams the changes of an inbox (see app.Service.WatchTasks).
func (h *Public) WatchTasks(in *taskv1.WatchTasksRequest, stream grpc.ServerStreamingServer[taskv1.TaskChange]) error {
	q := app.WatchQuery{AssigneeID: in.GetAssigneeId(), After: in.GetAfter(), RequestID: in.GetRequestId()}
	return h.App.WatchTasks(stream.Context(), q, func(c app.InboxChange) error {
		out := &taskv1.TaskChange{Cursor: c.Cursor}
		switch {
		case c.Removed:
			out.RemovedTaskId = c.Task.ID
		case c.Task.ID != "":
			out.Task = taskPB(c.Task)
		}
		return stream.Send(out)
	})
}
