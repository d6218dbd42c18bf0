package domain

import "strings"

// SystemDefault is a shipped policy: one per request type, active from the first start,
// changed only through new versions like any other policy.
type SystemDefault struct {
	ID          string
	Name        string
	RequestType RequestType
	Workflow    Workflow
}

// SystemDefaultID is the stable id of the system default of rt, e.g.
// "system-default-grant-access".
func SystemDefaultID(rt RequestType) string {
	return "system-default-" + strings.ReplaceAll(strings.ToLower(string(rt)), "_", "-")
}

func step(name string, kind string) Step {
	return Step{Name: name, Assignee: Assignee{Kind: kind}}
}

func review(name string, kind string) Step {
	s := step(name, kind)
	s.Approval = ApprovalAny
	return s
}

// SystemDefaults returns the shipped policies, in RequestTypes order. The README of the
// service gives the reasoning behind each.
func SystemDefaults() []SystemDefault {
	return []SystemDefault{
		{
			ID: SystemDefaultID(AddApp), Name: "System default: add app", RequestType: AddApp,
			// A new app changes the organization's stack (spend, data, vendors): the
			// admins review it, and the admins register it; it has no owner yet.
			Workflow: Workflow{
				ReviewSteps: []Step{review("Admin review", Admins)},
				ActionStep:  step("Register the app", Admins),
			},
		},
		{
			ID: SystemDefaultID(GrantAccess), Name: "System default: grant access", RequestType: GrantAccess,
			// The manager knows whether the person needs it, the owner whether the app
			// should have them; the owner, who administers the app, provisions it.
			Workflow: Workflow{
				ReviewSteps: []Step{review("Manager review", Manager), review("App owner review", AppOwner)},
				ActionStep:  step("Provision access", AppOwner),
			},
		},
		{
			ID: SystemDefaultID(ChangePermission), Name: "System default: change permission", RequestType: ChangePermission,
			// A change can raise privilege as much as a grant: the same two reviews.
			Workflow: Workflow{
				ReviewSteps: []Step{review("Manager review", Manager), review("App owner review", AppOwner)},
				ActionStep:  step("Change the permission", AppOwner),
			},
		},
		{
			ID: SystemDefaultID(RemoveAccess), Name: "System default: remove access", RequestType: RemoveAccess,
			// Removing access only lowers risk, and offboarding opens these requests by
			// the dozen: no review may stall them. The owner deprovisions.
			Workflow: Workflow{
				ActionStep: step("Remove access", AppOwner),
			},
		},
		{
			ID: SystemDefaultID(ArchiveApp), Name: "System default: archive app", RequestType: ArchiveApp,
			// Archiving takes the app away from everyone who uses it: the admins decide;
			// the owner, who holds the vendor relationship, winds it down.
			Workflow: Workflow{
				ReviewSteps: []Step{review("Admin review", Admins)},
				ActionStep:  step("Archive the app", AppOwner),
			},
		},
	}
}
