package storetest

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// Run runs the contract suite. newStore is called once per test and must return an empty
// store of the test's own (any engine's store: S); the tests run in parallel.
func Run[S store.Store](t *testing.T, newStore func(t *testing.T) S) {
	storetestkit.Run(t, func(t *testing.T) store.Store { return newStore(t) }, storetestkit.Cases[store.Store]{
		{"UserRoundTrip", testUserRoundTrip},
		{"UserTimesAreInstants", testUserTimes},
		{"CreateUserDuplicateID", testCreateUserDuplicateID},
		{"CreateUserDuplicateEmailIgnoresCase", testCreateUserDuplicateEmail},
		{"UpdateUserChecksVersion", testUpdateUserVersion},
		{"UpdateUserEmailStaysUnique", testUpdateUserEmail},
		{"GetUserByEmailIgnoresCase", testGetUserByEmail},
		{"GetUsersReturnsKnownIDsSorted", testGetUsers},
		{"ListUsersPagesByID", testListUsersPaging},
		{"ListUsersFilters", testListUsersFilters},
		{"UserExternalIDRoundTrip", testUserExternalID},
		{"ListUsersLookups", testListUsersLookups},
		{"DirectReportsAnyStatus", testDirectReports},
		{"HasReportsCountsActiveOnly", testHasReports},

		{"GroupRoundTrip", testGroupRoundTrip},
		{"CreateGroupDuplicateID", testCreateGroupDuplicateID},
		{"UpdateGroupChecksVersion", testUpdateGroup},
		{"DeleteGroup", testDeleteGroup},
		{"GetGroupsAndListGroups", testGetAndListGroups},

		{"AppRoundTrip", testAppRoundTrip},
		{"AppNameUniqueIgnoresCase", testAppNameUnique},
		{"UpdateAppChecksVersionAndReplacesEverything", testUpdateApp},
		{"GetAppsReturnsKnownIDsSorted", testGetApps},
		{"ListAppsFilters", testListApps},
		{"OwnedApps", testOwnedApps},

		{"PutAccessGetAndReplace", testPutAccess},
		{"DeleteAccess", testDeleteAccess},
		{"ListAccessesOrderAndPaging", testListAccessesPaging},
		{"ListAccessesFilters", testListAccessesFilters},

		{"APIKeyRoundTrip", testAPIKeyRoundTrip},
		{"APIKeyIDAndHashUnique", testAPIKeyUnique},
		{"ListAPIKeysByUser", testListAPIKeys},
		{"RevokeAPIKey", testRevokeAPIKey},

		{"RecordAppliedOnce", testRecordApplied},
		{"OIDCBindings", testOIDCBindings},
		{"AppConnectors", testAppConnectors},

		{"TxReadsItsOwnWrites", testTxReadsOwnWrites},
		{"FailedWriteLeavesTxUsable", testFailedWriteLeavesTxUsable},
		{"ClosureErrorLeavesNothing", testClosureErrorLeavesNothing},
		{"ClosurePanicLeavesNothing", testClosurePanicLeavesNothing},
		{"EventsPendingOnlyAfterCommitInOrder", testEvents},
		{"LockDirectorySerializesTransactions", testLockDirectory},
		{"ConcurrentUpdatesOneWins", testConcurrentUpdates},
	})
}
