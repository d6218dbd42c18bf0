package storetest

import (
	"fmt"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/task/internal/domain"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

func newStep(requestID string, index int, approval domain.Approval) domain.Step {
	return domain.Step{
		RequestID: requestID, Index: index, Name: fmt.Sprintf("step %d", index), Type: domain.Review,
		PolicyID: "pol-1", PolicyVersion: 3, Approval: approval, RequesterID: "requester", TargetUserID: "target",
		Outcome: domain.Open, CreateTime: storetestkit.At(1), UpdateTime: storetestkit.At(1), Version: 1,
	}
}

// newTask returns a pending review task of step (requestID, index) for assignees.
func newTask(id, requestID string, index int, assignees ...string) domain.Task {
	return domain.Task{
		ID: id, Type: domain.Review, RequestID: requestID, PolicyID: "pol-1", PolicyVersion: 3,
		StepIndex: index, StepName: fmt.Sprintf("step %d", index),
		Assignee:    domain.Assignee{Kind: "USER_GROUPS", GroupIDs: []string{"g1", "g2"}},
		AssigneeIDs: assignees, Approval: domain.Any, Action: "Grant editor on Figma to Uma",
		Status: domain.Pending, RequesterID: "requester", TargetUserID: "target",
		History:    []domain.HistoryEntry{{Time: storetestkit.At(2), ActorID: domain.SystemActor, Event: domain.EventCreated, Note: "fell back to the admins"}},
		CreateTime: storetestkit.At(2), UpdateTime: storetestkit.At(2), Version: 1,
	}
}

func newStandalone(id, key string, assignees ...string) domain.Task {
	return domain.Task{
		ID: id, Type: domain.Standalone, Key: key, AssigneeIDs: assignees, Approval: domain.Any,
		Action: "Install the browser extension", Status: domain.Pending, Assignee: domain.Assignee{Kind: "USERS", UserIDs: assignees},
		History:    []domain.HistoryEntry{{Time: storetestkit.At(3), ActorID: "admin", Event: domain.EventCreated}},
		CreateTime: storetestkit.At(3), UpdateTime: storetestkit.At(3), Version: 1,
	}
}

// The writers of the fixtures, each in one transaction.
var (
	createSteps = storetestkit.Putter(store.Tx.CreateStep)
	createTasks = storetestkit.Putter(store.Tx.CreateTask)
)

func ids(tasks []domain.Task) []string {
	return storetestkit.IDs(tasks, func(t domain.Task) string { return t.ID })
}
