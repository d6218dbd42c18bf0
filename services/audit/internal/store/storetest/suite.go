package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// Run runs the contract suite. newStore is called once per test and must return an empty
// store of the test's own (any engine's store: S); the tests run in parallel.
func Run[S store.Store](t *testing.T, newStore func(t *testing.T) S) {
	storetestkit.Run(t, func(t *testing.T) store.Store { return newStore(t) }, storetestkit.Cases[store.Store]{
		{"EmptyLog", testEmptyLog},
		{"AppendRoundTrip", testAppendRoundTrip},
		{"InsertMustContinueTheHead", testInsertContinuesHead},
		{"InsertRefusesKnownIDs", testInsertRefusesKnownIDs},
		{"KnownIDs", testKnownIDs},
		{"TxReadsItsOwnWrites", testTxReadsOwnWrites},
		{"ClosureErrorLeavesNothing", testClosureErrorLeavesNothing},
		{"ClosurePanicLeavesNothing", testClosurePanicLeavesNothing},
		{"ListEventsFilters", testListEventsFilters},
		{"ListEventsLineage", testListEventsLineage},
		{"ScanFromAndStop", testScan},
		{"Checkpoints", testCheckpoints},
		{"SigningSeedFirstWins", testSigningSeed},
		{"LockHeadSerializesAppends", testLockHeadSerializes},
		{"ConcurrentAppendsBuildOneChain", testConcurrentAppends},
	})
}
