package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// Run runs the contract suite. newStore is called once per test and must return an empty
// store of the test's own; the tests run in parallel.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},

		{"PolicyRoundTrip", testPolicyRoundTrip},
		{"CreatePolicyDuplicateID", testCreatePolicyDuplicateID},
		{"ScopeClaimsRefuseOverlaps", testScopeClaims},
		{"OverlappingPolicies", testOverlappingPolicies},
		{"UpdatePolicyKeepsTypeAndScope", testUpdatePolicy},
		{"ListPoliciesPagesAndFilters", testListPolicies},

		{"VersionRoundTrip", testVersionRoundTrip},
		{"CreateVersionRules", testCreateVersion},
		{"UpdateDraftChecksRevision", testUpdateDraft},
		{"ActiveAndRetiredVersionsNeverChange", testImmutable},
		{"DeleteDraftOnly", testDeleteDraft},
		{"OneActiveVersionPerPolicy", testOneActive},
		{"ListVersionsPages", testListVersions},

		{"GenerationAndChanges", testGeneration},
		{"ActivePoliciesAndStates", testActivePolicies},

		{"FailedWriteLeavesTxUsable", testFailedWriteLeavesTxUsable},
		{"ClosureErrorLeavesNothing", testClosureErrorLeavesNothing},
		{"ClosurePanicLeavesNothing", testClosurePanicLeavesNothing},
		{"EventsPendingOnlyAfterCommitInOrder", testEvents},
		{"LockPoliciesSerializesTransactions", testLockPolicies},
		{"ConcurrentDraftEditsOneWins", testConcurrentEdits},
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
