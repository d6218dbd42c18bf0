package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// Run runs the contract suite. newStore is called once per test and must return an empty
// store of the test's own; the tests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
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
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.test(t, newStore(t))
		})
	}
}
