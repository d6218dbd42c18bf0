package grpcapi

import (
	"google.golang.org/protobuf/types/known/timestamppb"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/task/internal/domain"
)

// Enums travel by name (pkg/pbconv): the domain's strings are the proto enum names, and an
// unspecified value becomes "".

func taskPB(t domain.Task) *taskv1.Task {
	out := &taskv1.Task{
		Id:             t.ID,
		Type:           pbconv.Value[taskv1.Task_Type](taskv1.Task_Type_value, t.Type),
		RequestId:      t.RequestID,
		PolicyId:       t.PolicyID,
		PolicyVersion:  t.PolicyVersion,
		StepIndex:      int32(t.StepIndex),
		StepName:       t.StepName,
		Assignee:       pbconv.AssigneePB(t.Assignee),
		AssigneeIds:    pbconv.List(t.AssigneeIDs),
		Action:         t.Action,
		Decision:       pbconv.Value[taskv1.Task_Decision](taskv1.Task_Decision_value, t.Decision),
		DecidedBy:      t.DecidedBy,
		Justification:  t.Justification,
		Status:         pbconv.Value[taskv1.Task_Status](taskv1.Task_Status_value, t.Status),
		CreateTime:     timestamppb.New(t.CreateTime),
		UpdateTime:     timestamppb.New(t.UpdateTime),
		Etag:           etag.Of(t.Version),
		Approval:       pbconv.Value[typev1.Approval](typev1.Approval_value, t.Approval),
		MinApprovals:   int32(t.MinApprovals),
		AccessReviewId: t.AccessReviewID,
		DueTime:        pbconv.Time(t.DueTime),
		EscalateTime:   pbconv.Time(t.EscalateTime),
		History:        make([]*taskv1.HistoryEntry, 0, len(t.History)),
	}
	for _, h := range t.History {
		out.History = append(out.History, &taskv1.HistoryEntry{Time: timestamppb.New(h.Time), ActorId: h.ActorID, Event: h.Event, Note: h.Note})
	}
	return out
}
