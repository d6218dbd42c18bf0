package authz

// A small organization shared by the tests.
//
//	grace (General Manager, no manager)
//	├── ada (Admin)
//	├── mia (User, Manager of ulysses)
//	│   └── ulysses (User)
//	└── otto (User, Manager of uma, olive, sam)
//	    ├── uma (User)
//	    ├── olive (User, App Owner of crm with oscar)
//	    └── sam (User)
//
// The app wiki is owned by wendy.
const (
	grace   = "grace"
	ada     = "ada"
	mia     = "mia"
	ulysses = "ulysses"
	otto    = "otto"
	uma     = "uma"
	olive   = "olive"
	oscar   = "oscar"
	sam     = "sam"
	wendy   = "wendy"

	crm  = "crm"
	wiki = "wiki"
)

var managerOf = map[string]string{
	ada: grace, mia: grace, otto: grace,
	ulysses: mia,
	uma:     otto, olive: otto, sam: otto,
}

// The five columns of the matrix, each as the subject that plays it.
var (
	plainUser  = Subject{UserID: uma, Role: RoleUser, Active: true}
	manager    = Subject{UserID: mia, Role: RoleUser, Active: true, IsManager: true}
	appOwner   = Subject{UserID: olive, Role: RoleUser, Active: true, OwnedAppIDs: []string{crm}}
	admin      = Subject{UserID: ada, Role: RoleAdmin, Active: true}
	generalMgr = Subject{UserID: grace, Role: RoleGeneralManager, Active: true}
)

// scenario is a resource, seen from the subject that acts on it.
type scenario struct {
	name string
	of   func(actor string) Resource
}

var (
	// selfScenario: the actor acts for or on itself.
	selfScenario = scenario{"self", func(actor string) Resource {
		return Resource{TargetUserID: actor, TargetManagerID: managerOf[actor]}
	}}
	// reportScenario: about ulysses, mia's direct report, on an app owned by wendy.
	reportScenario = scenario{"mia's direct report", func(string) Resource {
		return Resource{TargetUserID: ulysses, TargetManagerID: mia, AppID: wiki, AppOwnerIDs: []string{wendy}}
	}}
	// ownAppScenario: about sam, on crm, the app olive owns with oscar.
	ownAppScenario = scenario{"olive's app", func(string) Resource {
		return Resource{TargetUserID: sam, TargetManagerID: otto, AppID: crm, AppOwnerIDs: []string{oscar, olive}}
	}}
	// assignedScenario: a policy assigned the actor (and wendy) to something foreign to it.
	assignedScenario = scenario{"assigned in policy", func(actor string) Resource {
		return Resource{TargetUserID: sam, TargetManagerID: otto, AppID: wiki, AppOwnerIDs: []string{wendy}, AssignedUserIDs: []string{wendy, actor}}
	}}
	// foreignScenario: nothing ties any of the five subjects to it.
	foreignScenario = scenario{"foreign", func(string) Resource {
		return Resource{TargetUserID: sam, TargetManagerID: otto, AppID: wiki, AppOwnerIDs: []string{wendy}, AssignedUserIDs: []string{wendy}}
	}}

	allScenarios = []scenario{selfScenario, reportScenario, ownAppScenario, assignedScenario, foreignScenario}
)
