package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// Run runs the contract suite. newStore is called once per test and must return an empty
// store of the test's own (any engine's store: S); the tests run in parallel.
func Run[S store.Store](t *testing.T, newStore func(t *testing.T) S) {
	storetestkit.Run(t, func(t *testing.T) store.Store { return newStore(t) }, storetestkit.Cases[store.Store]{
		{"RequestRoundTrip", testRoundTrip},
		{"GetRequestByClientID", testByClientID},
		{"CreateRequestDuplicateIDOrClientID", testCreateDuplicate},
		{"UpdateRequestChecksVersionAndKeepsClientID", testUpdate},
		{"LockRequest", testLockRequest},

		{"ListRequestsFilters", testListFilters},
		{"ListRequestsViewers", testListViewers},
		{"ListRequestsViewersFollowUpdates", testListViewersFollowUpdates},
		{"ListRequestsNewestFirstByPages", testListPaging},
		{"ListRequestsIDsSortBytewise", testListBytewise},

		{"TxReadsItsOwnWrites", testTxReadsOwnWrites},
		{"ClosureErrorLeavesNothing", testClosureErrorLeavesNothing},
		{"ClosurePanicLeavesNothing", testClosurePanicLeavesNothing},
		{"MarkProcessedDedupes", testMarkProcessed},
		{"EventsPendingOnlyAfterCommitInOrder", testEvents},
		{"RetractRemovesAPendingWorkItemWithTheChange", testRetract},

		{"LockRequestSerializesTransactions", testLockSerializes},
		{"ConcurrentCreateSameClientIDOneWins", testConcurrentCreateClientID},
		{"ConcurrentCreateSameIDOneWins", testConcurrentCreateID},
		{"ConcurrentMarkProcessedOneNew", testConcurrentMarkProcessed},
	})
}
