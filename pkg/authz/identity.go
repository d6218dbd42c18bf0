package authz

// The Identity rows of the API.

// CanOnboard implements "Onboard user: POST /v1/users — Admin, GM" (matrix: Onboard User).
func CanOnboard(s Subject) Decision {
	return Check(s, OnboardUser, Resource{})
}

// CanEditUser implements "Edit user: PATCH /v1/users/{id} — Admin, GM, manager of that
// user" (matrix: Edit User). targetManagerID is the edited user's manager.
func CanEditUser(s Subject, targetManagerID string) Decision {
	return Check(s, EditUser, Resource{TargetManagerID: targetManagerID})
}

// CanOffboard implements "Offboard user: POST /v1/users/{id}:offboard — Admin, GM,
// manager of that user" (matrix: Offboard User). targetManagerID is the offboarded
// user's manager.
func CanOffboard(s Subject, targetManagerID string) Decision {
	return Check(s, OffboardUser, Resource{TargetManagerID: targetManagerID})
}

// CanMintAPIKey implements "API key for a user: POST /v1/users/{id}/apiKeys — Admin, GM"
// (matrix: Create API Keys and Webhooks).
func CanMintAPIKey(s Subject) Decision {
	return Check(s, CreateAPIKeysAndWebhooks, Resource{})
}

// CanManageGroups implements "Groups: POST /v1/groups, PATCH/DELETE /v1/groups/{id} —
// Admin, GM" (matrix: Manage User Groups). Reading groups is open to anyone
// authenticated and needs no check.
func CanManageGroups(s Subject) Decision {
	return Check(s, ManageUserGroups, Resource{})
}

// CanRegisterApp implements "Apps: POST /v1/apps (register an existing app directly) —
// Admin, GM". The matrix has no row for it; an App Owner owns nothing before the app
// exists, and new apps otherwise arrive through ADD_APP requests.
func CanRegisterApp(s Subject) Decision {
	return adminsOnly(s)
}

// CanEditApp implements "Apps: PATCH /v1/apps/{id} — Admin, GM, owner of that app"
// (matrix: Edit App). appOwnerIDs are the app's current owners.
func CanEditApp(s Subject, appOwnerIDs []string) Decision {
	return Check(s, EditApp, Resource{AppOwnerIDs: appOwnerIDs})
}

// CanViewAccess implements "Accesses: GET /v1/accesses — own; reports' (manager); own
// apps' (owner); all (Admin, GM)", for one access: the one accessUserID holds on an app
// whose owners are appOwnerIDs; accessUserManagerID is the holder's manager. A list
// call checks each access it returns (or narrows its query to what this allows).
func CanViewAccess(s Subject, accessUserID, accessUserManagerID string, appOwnerIDs []string) Decision {
	return adminsAnd(s, reasonAccessNotVisible,
		also{s.UserID == accessUserID, reasonOwnAccess},
		also{s.UserID == accessUserManagerID, allowReasons[colManager][directReports]},
		also{contains(appOwnerIDs, s.UserID), allowReasons[colAppOwner][ownApps]})
}
