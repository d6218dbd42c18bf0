package grpcapi

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/services/task/internal/domain"
)

func taskPB(t domain.Task) *taskv1.Task {
	out := &taskv1.Task{
		Id:             t.ID,
		Type:           taskv1.Task_Type(taskv1.Task_Type_value[string(t.Type)]),
		RequestId:      t.RequestID,
		PolicyId:       t.PolicyID,
		PolicyVersion:  t.PolicyVersion,
		StepIndex:      int32(t.StepIndex),
		StepName:       t.StepName,
		Assignee:       assigneePB(t.Assignee),
		AssigneeIds:    nonNil(t.AssigneeIDs),
		Action:         t.Action,
		Decision:       taskv1.Task_Decision(taskv1.Task_Decision_value[string(t.Decision)]),
		DecidedBy:      t.DecidedBy,
		Justification:  t.Justification,
		Status:         taskv1.Task_Status(taskv1.Task_Status_value[string(t.Status)]),
		CreateTime:     timestamppb.New(t.CreateTime),
		UpdateTime:     timestamppb.New(t.UpdateTime),
		Etag:           etag.Of(t.Version),
		Approval:       typev1.Approval(typev1.Approval_value[string(t.Approval)]),
		MinApprovals:   int32(t.MinApprovals),
		AccessReviewId: t.AccessReviewID,
		History:        make([]*taskv1.HistoryEntry, 0, len(t.History)),
	}
	if !t.DueTime.IsZero() {
		out.DueTime = timestamppb.New(t.DueTime)
	}
	if !t.EscalateTime.IsZero() {
		out.EscalateTime = timestamppb.New(t.EscalateTime)
	}
	for _, h := range t.History {
		out.History = append(out.History, &taskv1.HistoryEntry{Time: timestamppb.New(h.Time), ActorId: h.ActorID, Event: h.Event, Note: h.Note})
	}
	return out
}

func tasksPB(ts []domain.Task) []*taskv1.Task {
	out := make([]*taskv1.Task, 0, len(ts))
	for _, t := range ts {
		out = append(out, taskPB(t))
	}
	return out
}

func assigneePB(a domain.Assignee) *typev1.Assignee {
	return &typev1.Assignee{
		Kind: typev1.AssigneeKind(typev1.AssigneeKind_value[a.Kind]), CustomRole: a.CustomRole,
		GroupIds: nonNil(a.GroupIDs), UserIds: nonNil(a.UserIDs),
	}
}

func assigneeFromPB(a *typev1.Assignee) domain.Assignee {
	return domain.Assignee{Kind: a.GetKind().String(), CustomRole: a.GetCustomRole(), GroupIDs: a.GetGroupIds(), UserIDs: a.GetUserIds()}
}

func typeFromPB(t taskv1.Task_Type) domain.Type {
	if t == taskv1.Task_TYPE_UNSPECIFIED {
		return ""
	}
	return domain.Type(t.String())
}

func statusFromPB(s taskv1.Task_Status) domain.Status {
	if s == taskv1.Task_STATUS_UNSPECIFIED {
		return ""
	}
	return domain.Status(s.String())
}

func approvalFromPB(a typev1.Approval) domain.Approval {
	if a == typev1.Approval_APPROVAL_UNSPECIFIED {
		return ""
	}
	return domain.Approval(a.String())
}

func outcomePB(o domain.Outcome) taskv1.StepOutcome {
	return taskv1.StepOutcome(taskv1.StepOutcome_value[string(o)])
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
