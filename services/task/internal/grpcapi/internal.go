package grpcapi

import (
	"context"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/task/internal/app"
	"github.com/grantflow/grantflow/services/task/internal/domain"
)

// Internal implements grantflow.task.v1.TaskInternalService. The server refuses callers
// without a signed internal token before these run (pkg/auth InternalOnly).
type Internal struct {
	taskv1.UnimplementedTaskInternalServiceServer
	App *app.Service
}

func (h *Internal) OpenStep(ctx context.Context, r *taskv1.OpenStepRequest) (*taskv1.OpenStepResponse, error) {
	res, err := h.App.OpenStep(ctx, domain.StepSpec{
		Step: domain.Step{
			RequestID: r.GetRequestId(), Index: int(r.GetStepIndex()), Name: r.GetStepName(), Type: pbconv.Name[domain.Type](r.GetType()),
			PolicyID: r.GetPolicyId(), PolicyVersion: r.GetPolicyVersion(), Approval: pbconv.Name[domain.Approval](r.GetApproval()),
			MinApprovals: int(r.GetMinApprovals()), RequesterID: r.GetRequesterId(), TargetUserID: r.GetTargetUserId(),
		},
		Assignee: pbconv.AssigneeFromPB(r.GetAssignee()), AssigneeIDs: r.GetAssigneeIds(), ResolutionNote: r.GetResolutionNote(),
		Action: r.GetAction(), AutoApproveReason: r.GetAutoApproveReason(),
		DueAfter: r.GetDueAfter().AsDuration(), EscalateAfter: r.GetEscalateAfter().AsDuration(),
		EscalationUserIDs: r.GetEscalationUserIds(), EscalationNote: r.GetEscalationNote(), TaskIDs: r.GetTaskIds(),
	})
	if err != nil {
		return nil, err
	}
	return &taskv1.OpenStepResponse{Tasks: pbconv.Map(res.Tasks, taskPB), AlreadyOpened: res.AlreadyOpened, StepOutcome: pbconv.Value[taskv1.StepOutcome](taskv1.StepOutcome_value, res.Outcome)}, nil
}

func (h *Internal) CancelTasks(ctx context.Context, r *taskv1.CancelTasksRequest) (*taskv1.CancelTasksResponse, error) {
	ids, err := h.App.CancelTasks(ctx, r.GetRequestId(), r.GetReason())
	if err != nil {
		return nil, err
	}
	return &taskv1.CancelTasksResponse{CancelledTaskIds: ids}, nil
}

func (h *Internal) CreateStandaloneTask(ctx context.Context, r *taskv1.CreateStandaloneTaskRequest) (*taskv1.Task, error) {
	return pbconv.Reply(taskPB)(h.App.CreateStandalone(ctx, app.NewStandalone{Key: r.GetKey(), AssigneeIDs: r.GetAssigneeIds(), Action: r.GetAction(), Note: r.GetNote()}))
}

func (h *Internal) RerouteTasks(ctx context.Context, r *taskv1.RerouteTasksRequest) (*taskv1.RerouteTasksResponse, error) {
	ids, err := h.App.RerouteTasks(ctx, r.GetUserId(), r.GetToUserIds(), r.GetReason())
	if err != nil {
		return nil, err
	}
	return &taskv1.RerouteTasksResponse{TaskIds: pbconv.List(ids)}, nil
}

func (h *Internal) OpenAccessReviewTasks(ctx context.Context, r *taskv1.OpenAccessReviewTasksRequest) (*taskv1.OpenAccessReviewTasksResponse, error) {
	ts, err := h.App.OpenAccessReviewTasks(ctx, r.GetAccessReviewId(), r.GetReviewerIds(), r.GetAction())
	if err != nil {
		return nil, err
	}
	return &taskv1.OpenAccessReviewTasksResponse{Tasks: pbconv.Map(ts, taskPB)}, nil
}

func (h *Internal) CloseAccessReviewTasks(ctx context.Context, r *taskv1.CloseAccessReviewTasksRequest) (*taskv1.CloseAccessReviewTasksResponse, error) {
	status := domain.Done
	if r.GetStatus() == taskv1.Task_CANCELLED {
		status = domain.Cancelled
	}
	ids, err := h.App.CloseAccessReviewTasks(ctx, r.GetAccessReviewId(), r.GetReviewerIds(), status, r.GetReason())
	if err != nil {
		return nil, err
	}
	return &taskv1.CloseAccessReviewTasksResponse{ClosedTaskIds: ids}, nil
}
