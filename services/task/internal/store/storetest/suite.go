package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/task/internal/store"
)

// Run runs the contract suite. newStore is called once per test and must return an empty
// store of the test's own (any engine's store: S); the tests run in parallel.
func Run[S store.Store](t *testing.T, newStore func(t *testing.T) S) {
	storetestkit.Run(t, func(t *testing.T) store.Store { return newStore(t) }, storetestkit.Cases[store.Store]{
		{"TaskRoundTrip", testTaskRoundTrip},
		{"StandaloneTaskRoundTripAndKey", testStandaloneRoundTrip},
		{"AccessReviewTasksByCampaign", testAccessReviewTasks},
		{"CreateTaskDuplicateIDOrKey", testCreateTaskDuplicate},
		{"UpdateTaskChecksVersionAndKeepsPlacement", testUpdateTask},
		{"ListTasksFilters", testListTasksFilters},
		{"ListTasksPagesByID", testListTasksPaging},
		{"ListTasksFollowsStatusAndAssigneeChanges", testListTasksFollowsChanges},
		{"InboxChangesInCommitOrder", testInboxChanges},

		{"StepRoundTrip", testStepRoundTrip},
		{"CreateStepDuplicate", testCreateStepDuplicate},
		{"UpdateStepChecksVersion", testUpdateStep},
		{"StepTasksInIDOrder", testStepTasks},
		{"LockRequestStepsInIndexOrder", testLockRequestSteps},

		{"TxReadsItsOwnWrites", testTxReadsOwnWrites},
		{"ClosureErrorLeavesNothing", testClosureErrorLeavesNothing},
		{"ClosurePanicLeavesNothing", testClosurePanicLeavesNothing},
		{"EventsPendingOnlyAfterCommitInOrder", testEvents},

		{"LockStepSerializesTransactions", testLockStepSerializes},
		{"LockTaskSerializesTransactions", testLockTaskSerializes},
		{"ConcurrentCreateStepOneWins", testConcurrentCreateStep},
		{"ConcurrentCreateKeyOneWins", testConcurrentCreateKey},
	})
}
