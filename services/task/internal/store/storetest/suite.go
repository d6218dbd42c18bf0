package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/services/task/internal/store"
)

// Run runs the contract suite. newStore is called once per test and must return an empty
// store of the test's own; the tests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},

		{"TaskRoundTrip", testTaskRoundTrip},
		{"StandaloneTaskRoundTripAndKey", testStandaloneRoundTrip},
		{"CreateTaskDuplicateIDOrKey", testCreateTaskDuplicate},
		{"UpdateTaskChecksVersionAndKeepsPlacement", testUpdateTask},
		{"ListTasksFilters", testListTasksFilters},
		{"ListTasksPagesByID", testListTasksPaging},
		{"ListTasksFollowsStatusAndAssigneeChanges", testListTasksFollowsChanges},

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
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, newStore(t))
		})
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
