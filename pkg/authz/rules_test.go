package authz

import "testing"

// decisionCase is one call of an API rule and its expected outcome.
type decisionCase struct {
	name string
	got  Decision
	want bool
}

func runDecisions(t *testing.T, cases []decisionCase) {
	t.Helper()
	for _, tc := range cases {
		if tc.got.Allowed != tc.want {
			t.Errorf("%s: allowed=%v, want %v (reason %q)", tc.name, tc.got.Allowed, tc.want, tc.got.Reason)
		}
		if tc.got.Reason == "" {
			t.Errorf("%s: empty reason", tc.name)
		}
	}
}

// The Identity rows.
func TestIdentityRules(t *testing.T) {
	runDecisions(t, []decisionCase{
		{"onboard: admin", CanOnboard(admin), true},
		{"onboard: gm", CanOnboard(generalMgr), true},
		{"onboard: manager", CanOnboard(manager), false},
		{"onboard: user", CanOnboard(plainUser), false},

		{"edit user: manager of that user", CanEditUser(manager, mia), true},
		{"edit user: manager of someone else's report", CanEditUser(manager, otto), false},
		{"edit user: user on self", CanEditUser(plainUser, managerOf[uma]), false},
		{"edit user: app owner", CanEditUser(appOwner, otto), false},
		{"edit user: admin", CanEditUser(admin, otto), true},
		{"edit user: gm", CanEditUser(generalMgr, ""), true},

		{"offboard: manager of that user", CanOffboard(manager, mia), true},
		{"offboard: manager of someone else's report", CanOffboard(manager, otto), false},
		{"offboard: user", CanOffboard(plainUser, otto), false},
		{"offboard: admin", CanOffboard(admin, mia), true},
		{"offboard: gm", CanOffboard(generalMgr, otto), true},

		{"api key: admin", CanMintAPIKey(admin), true},
		{"api key: gm", CanMintAPIKey(generalMgr), true},
		{"api key: manager", CanMintAPIKey(manager), false},
		{"api key: owner", CanMintAPIKey(appOwner), false},

		{"groups: admin", CanManageGroups(admin), true},
		{"groups: gm", CanManageGroups(generalMgr), true},
		{"groups: user", CanManageGroups(plainUser), false},

		{"register app: admin", CanRegisterApp(admin), true},
		{"register app: gm", CanRegisterApp(generalMgr), true},
		{"register app: owner", CanRegisterApp(appOwner), false},
		{"register app: user", CanRegisterApp(plainUser), false},

		{"edit app: owner of that app", CanEditApp(appOwner, []string{oscar, olive}), true},
		{"edit app: owner of another app", CanEditApp(appOwner, []string{wendy}), false},
		{"edit app: app without owners", CanEditApp(appOwner, nil), false},
		{"edit app: manager", CanEditApp(manager, []string{wendy}), false},
		{"edit app: admin", CanEditApp(admin, []string{wendy}), true},
		{"edit app: gm", CanEditApp(generalMgr, nil), true},

		{"access: own", CanViewAccess(plainUser, uma, otto, []string{wendy}), true},
		{"access: a report's", CanViewAccess(manager, ulysses, mia, []string{wendy}), true},
		{"access: someone else's report's", CanViewAccess(manager, sam, otto, []string{wendy}), false},
		{"access: on own app", CanViewAccess(appOwner, sam, otto, []string{olive}), true},
		{"access: on another app", CanViewAccess(appOwner, sam, otto, []string{wendy}), false},
		{"access: a user's, someone else's", CanViewAccess(plainUser, sam, otto, []string{wendy}), false},
		{"access: admin", CanViewAccess(admin, sam, otto, []string{wendy}), true},
		{"access: gm", CanViewAccess(generalMgr, sam, otto, nil), true},
	})
}

// The Request rows.
func TestRequestRules(t *testing.T) {
	req := RequestFacts{
		RequesterID: mia, TargetUserID: ulysses, TargetManagerID: mia,
		AppOwnerIDs: []string{olive}, AssigneeIDs: []string{wendy},
	}
	byOtto := RequestFacts{RequesterID: otto, TargetUserID: sam, TargetManagerID: otto, AppOwnerIDs: []string{olive}, AssigneeIDs: []string{wendy}}
	runDecisions(t, []decisionCase{
		{"submit: user for self", CanSubmitRequestFor(plainUser, uma, otto), true},
		{"submit: user, target left empty", CanSubmitRequestFor(plainUser, "", ""), true},
		{"submit: user for someone else", CanSubmitRequestFor(plainUser, sam, otto), false},
		{"submit: manager for a direct report", CanSubmitRequestFor(manager, ulysses, mia), true},
		{"submit: manager for someone else's report", CanSubmitRequestFor(manager, sam, otto), false},
		{"submit: owner for a user of own app", CanSubmitRequestFor(appOwner, sam, otto), false},
		{"submit: admin for anyone", CanSubmitRequestFor(admin, sam, otto), true},
		{"submit access: owner for anyone on own app", CanSubmitAccessRequestFor(appOwner, sam, otto, wiki, []string{appOwner.UserID}), true},
		{"submit access: owner on another's app", CanSubmitAccessRequestFor(appOwner, sam, otto, wiki, []string{olive + "x"}), false},
		{"submit access: user for self on any app", CanSubmitAccessRequestFor(plainUser, uma, otto, wiki, []string{olive}), true},
		{"submit access: manager for a report", CanSubmitAccessRequestFor(manager, ulysses, mia, wiki, nil), true},
		{"submit: gm for anyone", CanSubmitRequestFor(generalMgr, ulysses, mia), true},

		{"view: requester", CanViewRequest(manager, req), true},
		{"view: target user", CanViewRequest(Subject{UserID: ulysses, Role: RoleUser, Active: true}, req), true},
		{"view: assignee", CanViewRequest(Subject{UserID: wendy, Role: RoleUser, Active: true}, req), true},
		{"view: target's manager", CanViewRequest(Subject{UserID: otto, Role: RoleUser, Active: true, IsManager: true}, byOtto), true},
		{"view: app owner", CanViewRequest(appOwner, req), true},
		{"view: unrelated user", CanViewRequest(plainUser, req), false},
		{"view: unrelated manager", CanViewRequest(manager, byOtto), false},
		{"view: admin", CanViewRequest(admin, req), true},
		{"view: gm", CanViewRequest(generalMgr, RequestFacts{}), true},

		{"cancel: requester", CanCancelRequest(manager, mia), true},
		{"cancel: target user", CanCancelRequest(Subject{UserID: ulysses, Role: RoleUser, Active: true}, mia), false},
		{"cancel: target's manager", CanCancelRequest(manager, otto), false},
		{"cancel: admin", CanCancelRequest(admin, mia), true},
		{"cancel: gm", CanCancelRequest(generalMgr, mia), true},
	})
}

// The Task rows, and "nobody approves their own request".
func TestTaskRules(t *testing.T) {
	assignees := []string{wendy, uma}
	runDecisions(t, []decisionCase{
		{"decide: assignee", CanDecideTask(plainUser, assignees, mia, ulysses), true},
		{"decide: not an assignee", CanDecideTask(appOwner, assignees, mia, ulysses), false},
		{"decide: target's manager, not assigned", CanDecideTask(manager, assignees, sam, ulysses), false},
		{"decide: admin", CanDecideTask(admin, assignees, mia, ulysses), true},
		{"decide: assignee, key minted by the requester", CanDecideTask(mintedBy(plainUser, mia), assignees, mia, ulysses), false},
		{"decide: assignee, key minted by the target", CanDecideTask(mintedBy(plainUser, ulysses), assignees, mia, ulysses), false},
		{"decide: admin, key minted by the requester", CanDecideTask(mintedBy(admin, mia), assignees, mia, ulysses), false},
		{"decide: assignee, key minted by another admin", CanDecideTask(mintedBy(plainUser, otto), assignees, mia, ulysses), true},
		{"decide: assignee, key minted by herself", CanDecideTask(mintedBy(plainUser, plainUser.UserID), assignees, mia, ulysses), true},
		{"decide: standalone task, key minted by anyone", CanDecideTask(mintedBy(plainUser, mia), assignees, "", ""), true},
		{"decide: gm", CanDecideTask(generalMgr, assignees, mia, ulysses), true},
		{"decide: standalone task, assignee", CanDecideTask(plainUser, assignees, "", ""), true},
		{"decide: standalone task, admin", CanDecideTask(admin, nil, "", ""), true},

		{"decide own request: assigned requester", CanDecideTask(plainUser, assignees, uma, sam), false},
		{"decide own request: assigned target", CanDecideTask(plainUser, assignees, mia, uma), false},
		{"decide own request: admin requester", CanDecideTask(admin, []string{ada}, ada, sam), false},
		{"decide own request: admin target", CanDecideTask(admin, []string{ada}, mia, ada), false},
		{"decide own request: gm requester", CanDecideTask(generalMgr, nil, grace, sam), false},
		{"decide own request: gm target", CanDecideTask(generalMgr, []string{grace}, ada, grace), false},

		{"reassign: admin", CanReassignTask(admin), true},
		{"reassign: gm", CanReassignTask(generalMgr), true},
		{"reassign: assignee", CanReassignTask(plainUser), false},
		{"reassign: manager", CanReassignTask(manager), false},

		{"view: assignee", CanViewTask(plainUser, assignees, mia), true},
		{"view: requester", CanViewTask(manager, assignees, mia), true},
		{"view: unrelated", CanViewTask(appOwner, assignees, mia), false},
		{"view: standalone, unrelated", CanViewTask(appOwner, assignees, ""), false},
		{"view: admin", CanViewTask(admin, assignees, mia), true},
		{"view: gm", CanViewTask(generalMgr, nil, ""), true},

		{"list: own", CanListTasks(plainUser, uma), true},
		{"list: someone else's", CanListTasks(plainUser, wendy), false},
		{"list: everyone's, user", CanListTasks(manager, ""), false},
		{"list: everyone's, admin", CanListTasks(admin, ""), true},
		{"list: someone else's, gm", CanListTasks(generalMgr, uma), true},
	})
	for _, s := range []Subject{admin, generalMgr} {
		if d := CanDecideTask(s, nil, s.UserID, sam); d.Reason != reasonOwnRequest {
			t.Errorf("%s deciding own request: reason %q, want %q", s.UserID, d.Reason, reasonOwnRequest)
		}
	}
}

// The Policy and Audit rows.
func TestPolicyAndAuditRules(t *testing.T) {
	runDecisions(t, []decisionCase{
		{"policies: admin", CanManagePolicies(admin), true},
		{"policies: gm", CanManagePolicies(generalMgr), true},
		{"policies: manager", CanManagePolicies(manager), false},
		{"policies: owner", CanManagePolicies(appOwner), false},
		{"policies: user", CanManagePolicies(plainUser), false},

		{"audit: admin", CanReadAuditAll(admin), true},
		{"audit: gm", CanReadAuditAll(generalMgr), true},
		{"audit: manager", CanReadAuditAll(manager), false},
		{"audit: user", CanReadAuditAll(plainUser), false},
	})
}

// Every API rule refuses an inactive (offboarded) subject, whatever the facts.
func TestRulesRefuseInactiveSubjects(t *testing.T) {
	for _, s := range []Subject{plainUser, manager, appOwner, admin, generalMgr} {
		s.Active = false
		id := s.UserID
		all := []Decision{
			CanOnboard(s), CanEditUser(s, id), CanOffboard(s, id), CanMintAPIKey(s),
			CanManageGroups(s), CanRegisterApp(s), CanEditApp(s, []string{id}),
			CanViewAccess(s, id, id, []string{id}),
			CanSubmitRequestFor(s, id, id),
			CanViewRequest(s, RequestFacts{RequesterID: id, TargetUserID: id, TargetManagerID: id, AppOwnerIDs: []string{id}, AssigneeIDs: []string{id}}),
			CanCancelRequest(s, id),
			CanDecideTask(s, []string{id}, "", ""), CanReassignTask(s), CanViewTask(s, []string{id}, id),
			CanListTasks(s, id), CanManagePolicies(s), CanReadAuditAll(s),
		}
		for i, d := range all {
			if d.Allowed || d.Reason != reasonInactive {
				t.Errorf("inactive %s, rule %d: %+v", id, i, d)
			}
		}
		if got := Capabilities(s); len(got) != 0 {
			t.Errorf("inactive %s holds %q", id, got)
		}
	}
}

// mintedBy is s calling with a credential that minter minted.
func mintedBy(s Subject, minter string) Subject {
	s.MintedBy = minter
	return s
}
