package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// Run runs the contract suite. newStore is called once per test and must return an empty
// store of the test's own (any engine's store: S); the tests run in parallel.
func Run[S store.Store](t *testing.T, newStore func(t *testing.T) S) {
	storetestkit.Run(t, func(t *testing.T) store.Store { return newStore(t) }, storetestkit.Cases[store.Store]{
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
	})
}
