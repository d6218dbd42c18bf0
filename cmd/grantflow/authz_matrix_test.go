package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// TestAuthorizationMatrix takes every cell of the permissions matrix of the roles document
// (16 capabilities by the columns User, Manager, App Owner, Admin and General Manager) to
// the running all-in-one process: for each cell it makes the calls that exercise it, as
// the demo person who plays the column, in scope (allowed) and out of scope (refused with
// 403, or 404 where the caller may not even see the target), through REST (the gateway)
// and through gRPC (the generated clients on the all-in-one's gRPC address, the API key
// in metadata). Each probe describes its call once, as the gRPC request message; the REST
// call is derived from it by the route table below, so both transports get the same call.
// Every call that changes state runs on data made for it (a throwaway user, app, request,
// task or group), once per transport.
//
// Three capabilities have no API here (the browser extension, HRIS/IdP integration, custom
// layouts): for those, and in
// addition for every other cell, GET /v1/me (and GetMe) must list exactly the capabilities
// the document gives each person. After the matrix, the "who may" rows of API.md that are
// not matrix cells (verify the audit log, register an app, create and reassign tasks,
// cancel a request) are probed the same way.
//
// Both engines: the memory engine and PostgreSQL (forEachEngine).
func TestAuthorizationMatrix(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		x := newMatrixEnv(t, s)
		x.setup()
		rows, extra := authzMatrix(), apiRules()
		var st matrixStats
		for _, tr := range []transport{overREST, overGRPC} {
			x.checkMe(tr, rows, &st)
			x.runRows(tr, rows, &st)
			x.runRows(tr, extra, &st)
		}
		if st.cells != 2*16*5 {
			t.Errorf("/v1/me checked %d cells over the two transports, want 160", st.cells)
		}
		byCall := 0
		for _, r := range rows {
			for _, c := range r.cells {
				if len(c.probes) > 0 {
					byCall++
				}
			}
		}
		t.Logf("authorization matrix: %d cells of %d capabilities x %d columns; %d exercised by API calls, %d by GET /v1/me alone (no API); "+
			"every cell's /v1/me entry checked over REST and gRPC; %d matrix probes and %d probes of %d API rules beyond the matrix, each over REST and gRPC: %d calls checked",
			len(rows)*5, len(rows), len(matrixColumns), byCall, len(rows)*5-byCall, st.matrixProbes/2, st.extraProbes/2, len(extra), st.matrixProbes+st.extraProbes)
	})
}

// matrixColumns are the document's columns and the demo person who plays each. Manager
// and App Owner are inherited roles: mona and otto are Users who also manage people (mona)
// or own apps (otto), so they hold the User column's rights too.
var matrixColumns = [5]struct{ name, actor string }{
	{"User", "uma"},              // no reports, owns no app
	{"Manager", "mona"},          // manager of otto, uma and ulf; owns no app
	{"App Owner", "otto"},        // owner of Figma, GitHub and the test's own app; no reports
	{"Admin", "ada"},             // designated Admin
	{"General Manager", "grace"}, // the General Manager
}

// matrixRow is one capability: the calls that exercise each column's cell.
type matrixRow struct {
	capability string // as GET /v1/me names it
	label      string // the document's row
	cells      [5]matrixCell
}

// matrixCell is one cell: what /v1/me lists for it, and the calls that exercise it.
type matrixCell struct {
	// me is the entry the cell adds to GET /v1/me's capabilities ("" for ❌).
	me string
	// probes are the calls, made as the column's person; none when the capability has no API.
	probes []matrixProbe
}

// matrixProbe is one call and the answer it must get.
type matrixProbe struct {
	what  string
	want  codes.Code
	req   func(x *matrixEnv) proto.Message
	check func(x *matrixEnv, tr transport, out map[string]any)
}

// allowed is a call the cell permits; checks look at the answer.
func allowed(what string, req func(x *matrixEnv) proto.Message, check ...func(x *matrixEnv, tr transport, out map[string]any)) matrixProbe {
	p := matrixProbe{what: what, want: codes.OK, req: req}
	if len(check) > 0 {
		p.check = check[0]
	}
	return p
}

// forbidden is a call the cell refuses on a target the caller may see (403).
func forbidden(what string, req func(x *matrixEnv) proto.Message) matrixProbe {
	return matrixProbe{what: what, want: codes.PermissionDenied, req: req}
}

// invisible is a call the cell refuses on a target the caller may not even see (404).
func invisible(what string, req func(x *matrixEnv) proto.Message) matrixProbe {
	return matrixProbe{what: what, want: codes.NotFound, req: req}
}

// cell builds a cell.
func cell(me string, probes ...matrixProbe) matrixCell { return matrixCell{me: me, probes: probes} }

// authzMatrix maps every row of the document's matrix to API calls. Columns, in order:
// User (uma), Manager (mona), App Owner (otto), Admin (ada), General Manager (grace).
func authzMatrix() []matrixRow {
	return []matrixRow{
		{"SUBMIT_REQUESTS", "Submit Requests", [5]matrixCell{
			// POST /v1/requests: anyone for self, a manager for direct reports, Admin and GM
			// for anyone (API.md's Submit row qualifies the document's ✅).
			cell("SUBMIT_REQUESTS:self",
				allowed("for herself", func(x *matrixEnv) proto.Message { return x.grant("", x.samApp, "act") }),
				forbidden("for a colleague", func(x *matrixEnv) proto.Message { return x.grant("ulf", x.samApp, "act") })),
			cell("SUBMIT_REQUESTS:direct_reports",
				allowed("for a direct report", func(x *matrixEnv) proto.Message { return x.grant(x.user("mona"), x.samApp, "act") }),
				forbidden("for another manager's report", func(x *matrixEnv) proto.Message { return x.grant("sara", x.samApp, "act") })),
			// An App Owner adds nothing to Submit: it submits as the User it is.
			cell("SUBMIT_REQUESTS:self",
				allowed("for himself", func(x *matrixEnv) proto.Message { return x.grant("", x.samApp, "act") }),
				forbidden("for someone else, on another owner's app", func(x *matrixEnv) proto.Message { return x.grant("ulf", x.samApp, "act") })),
			cell("SUBMIT_REQUESTS:any",
				allowed("for anyone", func(x *matrixEnv) proto.Message { return x.grant("sara", x.samApp, "act") }),
				// The contrast with the GM's cell: an Admin's own request waits for its manager.
				allowed("for herself: the manager step waits for her manager", func(x *matrixEnv) proto.Message { return x.grant("", x.s.app["Figma"], "viewer") },
					func(x *matrixEnv, tr transport, out map[string]any) {
						task := x.getTask(x.firstTask(str(out, "id"), out))
						if task.GetStatus() != taskv1.Task_PENDING || !slices.Equal(task.GetAssigneeIds(), []string{x.s.id["grace"]}) {
							x.t.Errorf("%s: an Admin's own request: first task %v assigned %v, want PENDING for grace", tr, task.GetStatus(), task.GetAssigneeIds())
						}
					})),
			cell("SUBMIT_REQUESTS:any",
				allowed("for anyone", func(x *matrixEnv) proto.Message { return x.grant("sara", x.samApp, "act") }),
				// "✅ (skip manager approval)": the manager step is auto-approved.
				allowed("for herself, skipping manager approval", func(x *matrixEnv) proto.Message { return x.grant("", x.s.app["Figma"], "viewer") },
					func(x *matrixEnv, tr transport, out map[string]any) {
						id := str(out, "id")
						waitFor(x.t, tr.String()+": the GM's manager step auto-approved", func() (bool, string) {
							r, err := x.request.GetRequest(x.as("grace"), &requestv1.GetRequestRequest{Id: id})
							if err != nil {
								return false, err.Error()
							}
							return r.GetStepIndex() >= 1 && r.GetStatus() == requestv1.Request_IN_PROGRESS, fmt.Sprintf("step %d, %v", r.GetStepIndex(), r.GetStatus())
						})
						if first := x.getTask(x.firstTask(id, out)); first.GetDecision() != taskv1.Task_APPROVE || slices.Contains(first.GetAssigneeIds(), x.s.id["grace"]) {
							x.t.Errorf("%s: the GM's manager step: %v by %q, assignees %v", tr, first.GetDecision(), first.GetDecidedBy(), first.GetAssigneeIds())
						}
					})),
		}},

		{"APPROVE_REQUESTS", "Approve Requests", [5]matrixCell{
			// POST /v1/tasks/{id}:approve. The MANAGER and APP_OWNER steps assign the manager
			// and the owners, so their cells are "assigned" in practice; a custom policy can
			// assign anyone (the User's ⚖).
			cell("APPROVE_REQUESTS:assigned",
				allowed("when a policy assigns her", func(x *matrixEnv) proto.Message {
					return approve(x.firstTaskOf(x.user("sam"), x.samApp, "uma"))
				}, decidedBy("uma")),
				invisible("a task she is not assigned", func(x *matrixEnv) proto.Message {
					return approve(x.firstTaskOf(x.user("sam"), x.s.app["Figma"], "viewer"))
				}),
				// A policy assigned her, but the request is hers: nobody approves their own.
				forbidden("her own request", func(x *matrixEnv) proto.Message { return approve(x.firstTaskOf("uma", x.samApp, "uma")) })),
			cell("APPROVE_REQUESTS:direct_reports",
				allowed("a direct report's request", func(x *matrixEnv) proto.Message {
					return approve(x.firstTaskOf(x.user("mona"), x.s.app["Figma"], "viewer"))
				}, decidedBy("mona")),
				invisible("another manager's report's request", func(x *matrixEnv) proto.Message {
					return approve(x.firstTaskOf(x.user("sam"), x.s.app["Figma"], "viewer"))
				})),
			cell("APPROVE_REQUESTS:own_apps",
				allowed("a request for his own app", func(x *matrixEnv) proto.Message {
					return approve(x.firstTaskOf(x.user("sam"), x.ottoApp, "review"))
				}, decidedBy("otto")),
				invisible("a request for another owner's app", func(x *matrixEnv) proto.Message {
					return approve(x.firstTaskOf(x.user("sam"), x.samApp, "review"))
				})),
			cell("APPROVE_REQUESTS:any",
				allowed("a task assigned to a manager", func(x *matrixEnv) proto.Message {
					return approve(x.firstTaskOf(x.user("mona"), x.s.app["Figma"], "viewer"))
				}, decidedBy("ada"))),
			cell("APPROVE_REQUESTS:any",
				allowed("a task assigned to a manager", func(x *matrixEnv) proto.Message {
					return approve(x.firstTaskOf(x.user("mona"), x.s.app["Figma"], "viewer"))
				}, decidedBy("grace"))),
		}},

		{"ONBOARD_USER", "Onboard User", [5]matrixCell{
			// POST /v1/users.
			cell("", forbidden("onboard", onboard)),
			cell("", forbidden("onboard into her team", onboard)),
			cell("", forbidden("onboard", onboard)),
			cell("ONBOARD_USER", allowed("onboard", onboard, field("status", "ACTIVE"))),
			cell("ONBOARD_USER", allowed("onboard", onboard, field("status", "ACTIVE"))),
		}},

		{"OFFBOARD_USER", "Offboard User", [5]matrixCell{
			// POST /v1/users/{id}:offboard. People see themselves, their manager and their
			// reports: anyone else is 404.
			cell("",
				forbidden("her manager", func(x *matrixEnv) proto.Message { return offboard(x, "mona") }),
				invisible("a colleague", func(x *matrixEnv) proto.Message { return offboard(x, x.user("mona")) })),
			cell("OFFBOARD_USER:direct_reports",
				allowed("a direct report", func(x *matrixEnv) proto.Message { return offboard(x, x.user("mona")) }, field("status", "OFFBOARDED")),
				forbidden("her own manager", func(x *matrixEnv) proto.Message { return offboard(x, "grace") }),
				invisible("another manager's report", func(x *matrixEnv) proto.Message { return offboard(x, x.user("sam")) })),
			cell("",
				forbidden("his manager", func(x *matrixEnv) proto.Message { return offboard(x, "mona") }),
				invisible("a colleague", func(x *matrixEnv) proto.Message { return offboard(x, x.user("mona")) })),
			cell("OFFBOARD_USER:any",
				allowed("anyone", func(x *matrixEnv) proto.Message { return offboard(x, x.user("sam")) }, field("status", "OFFBOARDED"))),
			cell("OFFBOARD_USER:any",
				allowed("anyone", func(x *matrixEnv) proto.Message { return offboard(x, x.user("mona")) }, field("status", "OFFBOARDED"))),
		}},

		{"EDIT_USER", "Edit User", [5]matrixCell{
			// PATCH /v1/users/{id}.
			cell("",
				forbidden("herself", func(x *matrixEnv) proto.Message { return rename(x, "uma") }),
				forbidden("her manager", func(x *matrixEnv) proto.Message { return rename(x, "mona") })),
			cell("EDIT_USER:direct_reports",
				allowed("a direct report", func(x *matrixEnv) proto.Message { return rename(x, x.user("mona")) }, field("displayName", "Renamed")),
				forbidden("her own manager", func(x *matrixEnv) proto.Message { return rename(x, "grace") }),
				invisible("another manager's report", func(x *matrixEnv) proto.Message { return rename(x, "sara") })),
			cell("",
				forbidden("his manager", func(x *matrixEnv) proto.Message { return rename(x, "mona") })),
			cell("EDIT_USER:any",
				allowed("anyone", func(x *matrixEnv) proto.Message { return rename(x, x.user("sam")) }, field("displayName", "Renamed"))),
			cell("EDIT_USER:any",
				allowed("anyone", func(x *matrixEnv) proto.Message { return rename(x, x.user("mona")) }, field("displayName", "Renamed"))),
		}},

		{"MANAGE_USER_GROUPS", "Manage User Groups", [5]matrixCell{
			// POST /v1/groups, DELETE /v1/groups/{id} (reading groups is open to anyone).
			cell("", forbidden("create a group", newGroup), forbidden("delete a group", deleteGroup)),
			cell("", forbidden("create a group", newGroup), forbidden("delete a group", deleteGroup)),
			cell("", forbidden("create a group", newGroup), forbidden("delete a group", deleteGroup)),
			cell("MANAGE_USER_GROUPS", allowed("create a group", newGroup), allowed("delete a group", deleteGroup)),
			cell("MANAGE_USER_GROUPS", allowed("create a group", newGroup), allowed("delete a group", deleteGroup)),
		}},

		{"EDIT_APP", "Edit App (App Metadata, App Owners, etc.)", [5]matrixCell{
			// PATCH /v1/apps/{id} (apps are visible to everyone: refusals are 403).
			cell("", forbidden("an app", func(x *matrixEnv) proto.Message { return renameApp(x.s.app["Figma"]) })),
			cell("", forbidden("an app", func(x *matrixEnv) proto.Message { return renameApp(x.s.app["Figma"]) })),
			cell("EDIT_APP:own_apps",
				allowed("his own app", func(x *matrixEnv) proto.Message { return renameApp(x.app("otto")) }, prefix("name", "Renamed")),
				forbidden("another owner's app", func(x *matrixEnv) proto.Message { return renameApp(x.s.app["Salesforce"]) })),
			cell("EDIT_APP:any", allowed("any app", func(x *matrixEnv) proto.Message { return renameApp(x.app("sam")) }, prefix("name", "Renamed"))),
			cell("EDIT_APP:any", allowed("any app", func(x *matrixEnv) proto.Message { return renameApp(x.app("otto")) }, prefix("name", "Renamed"))),
		}},

		{"MANAGE_APP_ACCESS", "Manage App Access (Add or Remove Users)", [5]matrixCell{
			// Accesses change only through requests (API.md): a user is added or removed by
			// asking for it (POST /v1/requests for someone else) and by carrying out the
			// action step (POST /v1/tasks/{id}:complete), which the owner is assigned.
			cell("",
				forbidden("ask for a colleague", func(x *matrixEnv) proto.Message { return x.grant("ulf", x.samApp, "act") }),
				invisible("carry out a provisioning", func(x *matrixEnv) proto.Message { return complete(x.firstTaskOf(x.user("sam"), x.samApp, "act")) })),
			cell("MANAGE_APP_ACCESS:direct_reports",
				allowed("ask for a direct report", func(x *matrixEnv) proto.Message { return x.grant(x.user("mona"), x.samApp, "act") }, field("status", "IN_PROGRESS")),
				forbidden("ask for another manager's report", func(x *matrixEnv) proto.Message { return x.grant("sara", x.samApp, "act") }),
				invisible("carry out a provisioning", func(x *matrixEnv) proto.Message { return complete(x.firstTaskOf(x.user("mona"), x.samApp, "act")) })),
			cell("MANAGE_APP_ACCESS:own_apps",
				allowed("carry out a provisioning on his own app", func(x *matrixEnv) proto.Message {
					return complete(x.firstTaskOf(x.user("sam"), x.ottoApp, "act"))
				}, func(x *matrixEnv, tr transport, out map[string]any) {
					field("status", "DONE")(x, tr, out)
					x.accessAppears(tr, "otto", str(out, "requestId"), x.ottoApp)
				}),
				invisible("carry out a provisioning on another owner's app", func(x *matrixEnv) proto.Message {
					return complete(x.firstTaskOf(x.user("sam"), x.samApp, "act"))
				}),
				// API.md: an app owner submits for anyone on apps he owns (issue 15).
				allowed("ask for someone else, on his own app", func(x *matrixEnv) proto.Message { return x.grant("ulf", x.ottoApp, "act") })),
			cell("MANAGE_APP_ACCESS:any",
				allowed("ask for anyone", func(x *matrixEnv) proto.Message { return x.grant("sara", x.samApp, "act") }),
				allowed("carry out any provisioning", func(x *matrixEnv) proto.Message { return complete(x.firstTaskOf(x.user("sam"), x.samApp, "act")) },
					field("status", "DONE"))),
			cell("MANAGE_APP_ACCESS:any",
				allowed("ask for anyone", func(x *matrixEnv) proto.Message { return x.grant("sara", x.samApp, "act") }),
				allowed("carry out any provisioning", func(x *matrixEnv) proto.Message { return complete(x.firstTaskOf(x.user("sam"), x.samApp, "act")) },
					field("status", "DONE"))),
		}},

		// Access reviews (the review service): a campaign on Figma, where Ulf (Mona's report)
		// holds viewer and Otto is the owner, made and launched by the Admin for each probe;
		// a decision is KEEP on Ulf's item. MANAGER campaigns are Mona's to decide, APP_OWNER
		// campaigns Otto's; a caller who reviews nothing in a campaign does not see it.
		{"CREATE_ACCESS_REVIEWS", "Create Access Reviews", [5]matrixCell{
			cell("", forbidden("a campaign", newReview)),
			cell("", forbidden("a campaign", newReview)),
			cell("", forbidden("a campaign", newReview)),
			cell("CREATE_ACCESS_REVIEWS", allowed("a campaign", newReview, field("status", "DRAFT"))),
			cell("CREATE_ACCESS_REVIEWS", allowed("a campaign", newReview, field("status", "DRAFT"))),
		}},
		{"COMPLETE_ACCESS_REVIEWS", "Complete Access Reviews", [5]matrixCell{
			cell("", invisible("an item she does not review", decideUlf(reviewv1.Reviewer_MANAGER))),
			cell("COMPLETE_ACCESS_REVIEWS:direct_reports",
				allowed("a direct report's access", decideUlf(reviewv1.Reviewer_MANAGER), field("decision", "KEEP")),
				invisible("an item of the owners' campaign", decideUlf(reviewv1.Reviewer_APP_OWNER))),
			cell("COMPLETE_ACCESS_REVIEWS:own_apps",
				allowed("an access to his own app", decideUlf(reviewv1.Reviewer_APP_OWNER), field("decision", "KEEP")),
				invisible("an item of the managers' campaign", decideUlf(reviewv1.Reviewer_MANAGER))),
			cell("COMPLETE_ACCESS_REVIEWS:any", allowed("any item", decideUlf(reviewv1.Reviewer_MANAGER), field("decision", "KEEP")),
				allowed("any item", decideUlf(reviewv1.Reviewer_APP_OWNER), field("decision", "KEEP"))),
			cell("COMPLETE_ACCESS_REVIEWS:any", allowed("any item", decideUlf(reviewv1.Reviewer_MANAGER), field("decision", "KEEP")),
				allowed("any item", decideUlf(reviewv1.Reviewer_APP_OWNER), field("decision", "KEEP"))),
		}},
		// No API: the browser extension is a client. GET /v1/me only.
		{"USE_BROWSER_EXTENSION", "Use Browser Extension", [5]matrixCell{
			cell("USE_BROWSER_EXTENSION"), cell("USE_BROWSER_EXTENSION"), cell("USE_BROWSER_EXTENSION"),
			cell("USE_BROWSER_EXTENSION"), cell("USE_BROWSER_EXTENSION"),
		}},
		// No API: OIDC is configured by the operator (GRANTFLOW_OIDC_*); there is no HRIS
		// integration. GET /v1/me only.
		{"INTEGRATE_HRIS_IDP", "Integrate HRIS/IdP", [5]matrixCell{
			cell(""), cell(""), cell(""), cell("INTEGRATE_HRIS_IDP"), cell("INTEGRATE_HRIS_IDP"),
		}},
		// PUT /v1/apps/{id}/connector (GET and DELETE follow the same rule): the app's
		// owners, Admin and GM; apps are visible to everyone, so refusals are 403.
		{"SET_UP_AUTO_PROVISIONING", "Set Up Auto Provisioning", [5]matrixCell{
			cell("", forbidden("an app's connector", func(x *matrixEnv) proto.Message { return connector(x.s.app["Figma"]) })),
			cell("", forbidden("an app's connector", func(x *matrixEnv) proto.Message { return connector(x.s.app["Figma"]) })),
			cell("SET_UP_AUTO_PROVISIONING:own_apps",
				allowed("his own app's connector", func(x *matrixEnv) proto.Message { return connector(x.app("otto")) }, prefix("secret", "whsec_")),
				forbidden("another owner's app's connector", func(x *matrixEnv) proto.Message { return connector(x.s.app["Salesforce"]) })),
			cell("SET_UP_AUTO_PROVISIONING:any", allowed("any app's connector", func(x *matrixEnv) proto.Message { return connector(x.app("sam")) }, prefix("secret", "whsec_"))),
			cell("SET_UP_AUTO_PROVISIONING:any", allowed("any app's connector", func(x *matrixEnv) proto.Message { return connector(x.app("otto")) }, prefix("secret", "whsec_"))),
		}},

		{"CREATE_CUSTOM_POLICIES", "Create Custom Policies", [5]matrixCell{
			// POST /v1/policies, POST /v1/policies/{id}/versions, .../versions/{v}:activate.
			cell("",
				forbidden("create a policy", func(x *matrixEnv) proto.Message { return newPolicy(x.s.app["Figma"]) }),
				forbidden("draft a new version", func(x *matrixEnv) proto.Message { return newVersion(x.s.policy["salesforce"]) }),
				forbidden("activate a version", func(x *matrixEnv) proto.Message { return activate(x.draftPolicy()) })),
			cell("",
				forbidden("create a policy", func(x *matrixEnv) proto.Message { return newPolicy(x.s.app["Figma"]) }),
				forbidden("draft a new version", func(x *matrixEnv) proto.Message { return newVersion(x.s.policy["salesforce"]) }),
				forbidden("activate a version", func(x *matrixEnv) proto.Message { return activate(x.draftPolicy()) })),
			cell("",
				forbidden("create a policy for his own app", func(x *matrixEnv) proto.Message { return newPolicy(x.app("otto")) }),
				forbidden("draft a new version", func(x *matrixEnv) proto.Message { return newVersion(x.s.policy["github_admin"]) }),
				forbidden("activate a version", func(x *matrixEnv) proto.Message { return activate(x.draftPolicy()) })),
			cell("CREATE_CUSTOM_POLICIES",
				allowed("create a policy", func(x *matrixEnv) proto.Message { return newPolicy(x.app("sam")) }, field("latestVersion", "1")),
				allowed("draft a new version", func(x *matrixEnv) proto.Message { return newVersion(x.s.policy["salesforce"]) }, field("state", "DRAFT")),
				allowed("activate a version", func(x *matrixEnv) proto.Message { return activate(x.draftPolicy()) }, field("state", "ACTIVE"))),
			cell("CREATE_CUSTOM_POLICIES",
				allowed("create a policy", func(x *matrixEnv) proto.Message { return newPolicy(x.app("sam")) }, field("latestVersion", "1")),
				allowed("draft a new version", func(x *matrixEnv) proto.Message { return newVersion(x.s.policy["salesforce"]) }, field("state", "DRAFT")),
				allowed("activate a version", func(x *matrixEnv) proto.Message { return activate(x.draftPolicy()) }, field("state", "ACTIVE"))),
		}},

		// No API: Grantflow has no layouts. GET /v1/me only.
		{"CREATE_CUSTOM_LAYOUTS", "Create Custom Layouts", [5]matrixCell{
			cell(""), cell(""), cell(""), cell("CREATE_CUSTOM_LAYOUTS"), cell("CREATE_CUSTOM_LAYOUTS"),
		}},

		{"CREATE_API_KEYS_AND_WEBHOOKS", "Create API Keys and Webhooks", [5]matrixCell{
			// POST /v1/users/{id}/apiKeys; POST /v1/webhooks and GET /v1/webhooks (the
			// notification service).
			cell("", forbidden("a key for herself", func(x *matrixEnv) proto.Message { return apiKey(x, "uma") }),
				forbidden("a webhook", newWebhook), forbidden("the webhooks", listWebhooks)),
			cell("", forbidden("a key for a direct report", func(x *matrixEnv) proto.Message { return apiKey(x, x.user("mona")) }),
				forbidden("a webhook", newWebhook), forbidden("the webhooks", listWebhooks)),
			cell("", forbidden("a key for himself", func(x *matrixEnv) proto.Message { return apiKey(x, "otto") }),
				forbidden("a webhook", newWebhook), forbidden("the webhooks", listWebhooks)),
			cell("CREATE_API_KEYS_AND_WEBHOOKS", allowed("a key for anyone", func(x *matrixEnv) proto.Message { return apiKey(x, x.user("sam")) }, prefix("secret", "gf_")),
				allowed("a webhook", newWebhook, prefix("secret", "whsec_")), allowed("the webhooks", listWebhooks)),
			cell("CREATE_API_KEYS_AND_WEBHOOKS", allowed("a key for anyone", func(x *matrixEnv) proto.Message { return apiKey(x, x.user("mona")) }, prefix("secret", "gf_")),
				allowed("a webhook", newWebhook, prefix("secret", "whsec_")), allowed("the webhooks", listWebhooks)),
		}},
	}
}

// apiRules are the "who may" rows of API.md that are no cell of the matrix, probed the
// same way (the me entries are empty: /v1/me lists matrix capabilities only).
func apiRules() []matrixRow {
	verify := func(*matrixEnv) proto.Message { return &auditv1.VerifyAuditEventsRequest{} }
	register := func(x *matrixEnv) proto.Message {
		return &identityv1.CreateAppRequest{Name: x.unique("Registered"), Permissions: []*identityv1.Permission{{Name: "use"}}}
	}
	newTask := func(x *matrixEnv) proto.Message {
		return &taskv1.CreateTaskRequest{AssigneeIds: []string{x.s.id["ulf"]}, Action: x.unique("Order a badge")}
	}
	// reassign: a standalone task of assignee's (visible to them), to ulf.
	reassign := func(assignee string) func(x *matrixEnv) proto.Message {
		return func(x *matrixEnv) proto.Message {
			return &taskv1.ReassignTaskRequest{Id: x.standaloneTask(assignee), AssigneeIds: []string{x.s.id["ulf"]}}
		}
	}
	// cancel: a request of requester ("fresh": a throwaway report of mona's) for itself.
	cancel := func(requester, app, perm string) func(x *matrixEnv) proto.Message {
		return func(x *matrixEnv) proto.Message {
			who := requester
			if who == "fresh" {
				who = x.user("mona")
			}
			return &requestv1.CancelRequestRequest{Id: x.submit(who, "", app, perm).GetId()}
		}
	}
	return []matrixRow{
		{"", "API: verify the audit log (POST /v1/auditEvents:verify; Admin, GM)", [5]matrixCell{
			cell("", forbidden("verify", verify)), cell("", forbidden("verify", verify)), cell("", forbidden("verify", verify)),
			cell("", allowed("verify", verify, field("ok", true))), cell("", allowed("verify", verify, field("ok", true))),
		}},
		{"", "API: register an app (POST /v1/apps; Admin, GM)", [5]matrixCell{
			cell("", forbidden("register", register)), cell("", forbidden("register", register)), cell("", forbidden("register as its future owner", register)),
			cell("", allowed("register", register)), cell("", allowed("register", register)),
		}},
		{"", "API: create a standalone task (POST /v1/tasks; Admin, GM)", [5]matrixCell{
			cell("", forbidden("create", newTask)), cell("", forbidden("create", newTask)), cell("", forbidden("create", newTask)),
			cell("", allowed("create", newTask, field("status", "PENDING"))), cell("", allowed("create", newTask, field("status", "PENDING"))),
		}},
		{"", "API: reassign a task (POST /v1/tasks/{id}:reassign; Admin, GM)", [5]matrixCell{
			cell("", forbidden("her own task", reassign("uma"))), cell("", forbidden("her own task", reassign("mona"))), cell("", forbidden("his own task", reassign("otto"))),
			cell("", allowed("someone's task", reassign("uma"))), cell("", allowed("someone's task", reassign("uma"))),
		}},
		{"", "API: cancel a request (POST /v1/requests/{id}:cancel; requester, Admin, GM)", [5]matrixCell{
			cell("", allowed("her own request", cancel("uma", "sam", "act"), field("status", "CANCELLED"))),
			cell("", forbidden("her report's request", cancel("fresh", "Figma", "viewer"))),
			cell("", forbidden("a request for his own app", cancel("fresh", "otto", "act"))),
			cell("", allowed("someone's request", cancel("fresh", "Figma", "viewer"), field("status", "CANCELLED"))),
			cell("", allowed("someone's request", cancel("fresh", "Figma", "viewer"), field("status", "CANCELLED"))),
		}},
	}
}

// --- requests the probes send ------------------------------------------------------------

func newReview(x *matrixEnv) proto.Message {
	return &reviewv1.CreateAccessReviewRequest{Name: x.unique("Matrix review "), Scope: &reviewv1.Scope{AppIds: []string{x.s.app["Figma"]}},
		Reviewer: &reviewv1.Reviewer{Kind: reviewv1.Reviewer_MANAGER}}
}

// decideUlf launches a campaign on Figma with reviewers of kind (as the Admin) and
// returns the decision KEEP on Ulf's item.
func decideUlf(kind reviewv1.Reviewer_Kind) func(x *matrixEnv) proto.Message {
	return func(x *matrixEnv) proto.Message {
		c, err := x.review.CreateAccessReview(x.as("ada"), &reviewv1.CreateAccessReviewRequest{Name: x.unique("Matrix review "),
			Scope: &reviewv1.Scope{AppIds: []string{x.s.app["Figma"]}}, Reviewer: &reviewv1.Reviewer{Kind: kind}})
		x.must(err, "create a campaign")
		_, err = x.review.LaunchAccessReview(x.as("ada"), &reviewv1.LaunchAccessReviewRequest{Id: c.GetId()})
		x.must(err, "launch a campaign")
		its, err := x.review.ListAccessReviewItems(x.as("ada"), &reviewv1.ListAccessReviewItemsRequest{AccessReviewId: c.GetId()})
		x.must(err, "list a campaign's items")
		for _, it := range its.GetItems() {
			if it.GetUserId() == x.s.id["ulf"] {
				return &reviewv1.DecideAccessReviewItemRequest{AccessReviewId: c.GetId(), ItemId: it.GetId(),
					Decision: reviewv1.AccessReviewItem_KEEP, Justification: "matrix"}
			}
		}
		x.t.Fatalf("fixture: no item of Ulf's in %v", its.GetItems())
		return nil
	}
}

func approve(taskID string) proto.Message {
	return &taskv1.ApproveTaskRequest{Id: taskID, Justification: "matrix"}
}
func complete(taskID string) proto.Message {
	return &taskv1.CompleteTaskRequest{Id: taskID, Note: "matrix"}
}

func onboard(x *matrixEnv) proto.Message {
	h := x.unique("onboarded")
	return &identityv1.CreateUserRequest{Email: strings.ToLower(h) + "@matrix.grantflow.dev", DisplayName: h, Role: identityv1.Role_USER, ManagerId: x.s.id["mona"]}
}

func offboard(x *matrixEnv, who string) proto.Message {
	return &identityv1.OffboardUserRequest{Id: x.s.id[who], Reason: "matrix"}
}

func rename(x *matrixEnv, who string) proto.Message {
	return &identityv1.UpdateUserRequest{Id: x.s.id[who], User: &identityv1.User{DisplayName: "Renamed"}}
}

func renameApp(id string) proto.Message {
	return &identityv1.UpdateAppRequest{Id: id, App: &identityv1.App{Name: "Renamed " + id}}
}

func newGroup(x *matrixEnv) proto.Message {
	return &identityv1.CreateGroupRequest{Name: x.unique("Group"), MemberIds: []string{x.s.id["ulf"]}}
}

func deleteGroup(x *matrixEnv) proto.Message {
	g, err := x.identity.CreateGroup(x.as("ada"), &identityv1.CreateGroupRequest{Name: x.unique("Doomed")})
	x.must(err, "create a group")
	return &identityv1.DeleteGroupRequest{Id: g.GetId()}
}

// connector sets up app's auto-provisioning connector (a secret is generated: new app).
func connector(app string) proto.Message {
	return &identityv1.SetAppConnectorRequest{AppId: app, Url: "https://provisioning.example.com/" + app}
}

func newWebhook(x *matrixEnv) proto.Message {
	return &notificationv1.CreateWebhookRequest{Url: "https://hooks.example.com/" + x.unique("matrix"), EventTypes: []string{"request.done"}}
}

func listWebhooks(*matrixEnv) proto.Message { return &notificationv1.ListWebhooksRequest{} }

func apiKey(x *matrixEnv, who string) proto.Message {
	return &identityv1.CreateApiKeyRequest{UserId: x.s.id[who], DisplayName: "matrix"}
}

// matrixWorkflow: the manager reviews, the owner carries out.
func matrixWorkflow() *typev1.Workflow {
	return &typev1.Workflow{
		ReviewSteps: []*typev1.Step{{Name: "Manager", Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_MANAGER}, Approval: typev1.Approval_ANY}},
		ActionStep:  &typev1.Step{Name: "Provision", Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_APP_OWNER}},
	}
}

func newPolicy(appID string) proto.Message {
	return &policyv1.CreatePolicyRequest{Name: "Matrix " + appID, RequestType: typev1.RequestType_GRANT_ACCESS,
		Scope: &policyv1.Scope{AppId: appID}, Workflow: matrixWorkflow()}
}

func newVersion(policyID string) proto.Message {
	return &policyv1.CreatePolicyVersionRequest{PolicyId: policyID, Workflow: matrixWorkflow()}
}

func activate(policyID string) proto.Message {
	return &policyv1.ActivatePolicyVersionRequest{PolicyId: policyID, Version: 1}
}

// field checks that an answer's field has a value (as JSON decodes it).
func field(key string, want any) func(x *matrixEnv, tr transport, out map[string]any) {
	return func(x *matrixEnv, tr transport, out map[string]any) {
		if out[key] != want {
			x.t.Errorf("%s: %s = %v, want %v (%v)", tr, key, out[key], want, out)
		}
	}
}

// prefix checks that an answer's string field starts with p.
func prefix(key, p string) func(x *matrixEnv, tr transport, out map[string]any) {
	return func(x *matrixEnv, tr transport, out map[string]any) {
		if !strings.HasPrefix(str(out, key), p) {
			x.t.Errorf("%s: %s = %q, want a %q prefix", tr, key, str(out, key), p)
		}
	}
}

// decidedBy checks that a task was approved by person.
func decidedBy(person string) func(x *matrixEnv, tr transport, out map[string]any) {
	return func(x *matrixEnv, tr transport, out map[string]any) {
		if out["decision"] != "APPROVE" || str(out, "decidedBy") != x.s.id[person] {
			x.t.Errorf("%s: task decided %v by %v, want APPROVE by %s", tr, out["decision"], out["decidedBy"], person)
		}
	}
}

// --- the environment: fixtures over gRPC as the Admin -----------------------------------

type matrixEnv struct {
	t        *testing.T
	s        *system
	identity identityv1.IdentityServiceClient
	policy   policyv1.PolicyServiceClient
	request  requestv1.RequestServiceClient
	task     taskv1.TaskServiceClient
	audit    auditv1.AuditServiceClient
	review   reviewv1.ReviewServiceClient
	// notification is the webhooks' service.
	notification notificationv1.WebhookServiceClient
	n            int
	// samApp and ottoApp are the test's apps, owned by sam and otto, each with the
	// permissions "act" (no review: the owner's action task opens at once) and "review"
	// (the owner reviews first); samApp also has "uma" (a policy assigns uma the review).
	samApp, ottoApp string
}

type matrixStats struct{ cells, matrixProbes, extraProbes int }

func newMatrixEnv(t *testing.T, s *system) *matrixEnv {
	conn, err := grpc.NewClient(s.a.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &matrixEnv{t: t, s: s,
		identity: identityv1.NewIdentityServiceClient(conn), policy: policyv1.NewPolicyServiceClient(conn),
		request: requestv1.NewRequestServiceClient(conn), task: taskv1.NewTaskServiceClient(conn), audit: auditv1.NewAuditServiceClient(conn),
		review: reviewv1.NewReviewServiceClient(conn), notification: notificationv1.NewWebhookServiceClient(conn)}
}

func (x *matrixEnv) as(person string) context.Context {
	return metadata.AppendToOutgoingContext(x.t.Context(), "authorization", "Bearer "+x.s.key[person])
}

func (x *matrixEnv) must(err error, what string) {
	x.t.Helper()
	if err != nil {
		x.t.Fatalf("fixture: %s: %v", what, err)
	}
}

func (x *matrixEnv) unique(prefix string) string {
	x.n++
	return fmt.Sprintf("%s%d", prefix, x.n)
}

// setup makes the test's two apps and their policies (as the Admin).
func (x *matrixEnv) setup() {
	x.samApp, x.ottoApp = x.app("sam", "act", "review", "uma"), x.app("otto", "act", "review")
	owner := &typev1.Assignee{Kind: typev1.AssigneeKind_APP_OWNER}
	step := func(a *typev1.Assignee) []*typev1.Step {
		return []*typev1.Step{{Name: "Review", Assignee: a, Approval: typev1.Approval_ANY}}
	}
	policies := []*policyv1.CreatePolicyRequest{
		{Scope: &policyv1.Scope{AppId: x.samApp}},
		{Scope: &policyv1.Scope{AppId: x.samApp, Permissions: []string{"review"}}, Workflow: &typev1.Workflow{ReviewSteps: step(owner)}},
		{Scope: &policyv1.Scope{AppId: x.samApp, Permissions: []string{"uma"}}, Workflow: &typev1.Workflow{ReviewSteps: step(&typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: []string{x.s.id["uma"]}})}},
		{Scope: &policyv1.Scope{AppId: x.ottoApp}},
		{Scope: &policyv1.Scope{AppId: x.ottoApp, Permissions: []string{"review"}}, Workflow: &typev1.Workflow{ReviewSteps: step(owner)}},
	}
	for _, p := range policies {
		p.Name, p.RequestType = x.unique("Matrix policy "), typev1.RequestType_GRANT_ACCESS
		if p.Workflow == nil {
			p.Workflow = &typev1.Workflow{}
		}
		p.Workflow.ActionStep = &typev1.Step{Name: "Provision", Assignee: owner}
		pol, err := x.policy.CreatePolicy(x.as("ada"), p)
		x.must(err, "create "+p.Name)
		_, err = x.policy.ActivatePolicyVersion(x.as("ada"), &policyv1.ActivatePolicyVersionRequest{PolicyId: pol.GetId(), Version: 1})
		x.must(err, "activate "+p.Name)
	}
}

// user onboards a throwaway user reporting to manager, with an API key, and returns the
// handle it is known by in x.s.key and x.s.id.
func (x *matrixEnv) user(manager string) string {
	h := x.unique("mx")
	u, err := x.identity.CreateUser(x.as("ada"), &identityv1.CreateUserRequest{
		Email: h + "@matrix.grantflow.dev", DisplayName: "Matrix " + h, Role: identityv1.Role_USER, ManagerId: x.s.id[manager]})
	x.must(err, "onboard "+h)
	k, err := x.identity.CreateApiKey(x.as("ada"), &identityv1.CreateApiKeyRequest{UserId: u.GetId(), DisplayName: "matrix"})
	x.must(err, "key for "+h)
	x.s.id[h], x.s.key[h] = u.GetId(), k.GetSecret()
	return h
}

// app registers a throwaway app owned by owner (permissions: "use", or perms).
func (x *matrixEnv) app(owner string, perms ...string) string {
	if len(perms) == 0 {
		perms = []string{"use"}
	}
	in := &identityv1.CreateAppRequest{Name: x.unique("MatrixApp"), OwnerIds: []string{x.s.id[owner]}}
	for _, p := range perms {
		in.Permissions = append(in.Permissions, &identityv1.Permission{Name: p})
	}
	a, err := x.identity.CreateApp(x.as("ada"), in)
	x.must(err, "register "+in.Name)
	return a.GetId()
}

// appID resolves the short names of apps ("sam", "otto", a demo app's name); anything
// else is an app id already.
func (x *matrixEnv) appID(name string) string {
	switch name {
	case "sam":
		return x.samApp
	case "otto":
		return x.ottoApp
	}
	if id, ok := x.s.app[name]; ok {
		return id
	}
	return name
}

// grant is the probes' GRANT_ACCESS submit for target ("" for the caller itself).
func (x *matrixEnv) grant(target, appID, perm string) proto.Message {
	return &requestv1.SubmitRequestRequest{Type: typev1.RequestType_GRANT_ACCESS, TargetUserId: x.s.id[target], AppId: appID, Permission: perm, Reason: "matrix"}
}

// submit has requester ask for perm on app for target ("" for itself), over gRPC.
func (x *matrixEnv) submit(requester, target, app, perm string) *requestv1.Request {
	req := x.grant(target, x.appID(app), perm).(*requestv1.SubmitRequestRequest)
	r, err := x.request.SubmitRequest(x.as(requester), req)
	x.must(err, requester+" asks for "+perm)
	return r
}

// firstTaskOf has requester ask for perm on appID for itself and returns its first task.
func (x *matrixEnv) firstTaskOf(requester, appID, perm string) string {
	r := x.submit(requester, "", appID, perm)
	return x.firstTask(r.GetId(), nil)
}

// firstTask returns the first task of a request: from the submit's answer when it lists
// it (the request service opens the first step before answering), else once it is open.
func (x *matrixEnv) firstTask(requestID string, submitted map[string]any) string {
	x.t.Helper()
	if ids, _ := submitted["taskIds"].([]any); len(ids) > 0 {
		return ids[0].(string)
	}
	var id string
	waitFor(x.t, "the first task of request "+requestID, func() (bool, string) {
		r, err := x.request.GetRequest(x.as("ada"), &requestv1.GetRequestRequest{Id: requestID})
		if err != nil {
			return false, err.Error()
		}
		if len(r.GetTaskIds()) > 0 {
			id = r.GetTaskIds()[0]
		}
		return id != "", r.GetStatus().String()
	})
	return id
}

func (x *matrixEnv) getTask(id string) *taskv1.Task {
	t, err := x.task.GetTask(x.as("ada"), &taskv1.GetTaskRequest{Id: id})
	x.must(err, "get task "+id)
	return t
}

// standaloneTask creates a task for assignee (as the Admin).
func (x *matrixEnv) standaloneTask(assignee string) string {
	t, err := x.task.CreateTask(x.as("ada"), &taskv1.CreateTaskRequest{AssigneeIds: []string{x.s.id[assignee]}, Action: x.unique("Matrix task ")})
	x.must(err, "create a task")
	return t.GetId()
}

// draftPolicy creates a policy with a draft version 1 on a throwaway app (as the Admin).
func (x *matrixEnv) draftPolicy() string {
	p, err := x.policy.CreatePolicy(x.as("ada"), newPolicy(x.app("sam")).(*policyv1.CreatePolicyRequest))
	x.must(err, "create a draft policy")
	return p.GetId()
}

// accessAppears waits until the access that request requestID grants on appID is visible
// to owner in GET /v1/accesses (an owner sees the accesses of their apps).
func (x *matrixEnv) accessAppears(tr transport, owner, requestID, appID string) {
	r, err := x.request.GetRequest(x.as("ada"), &requestv1.GetRequestRequest{Id: requestID})
	x.must(err, "get request "+requestID)
	waitFor(x.t, tr.String()+": the provisioned access, as its app's owner sees it", func() (bool, string) {
		res, err := x.identity.ListAccesses(x.as(owner), &identityv1.ListAccessesRequest{AppId: appID, UserId: r.GetTargetUserId()})
		if err != nil {
			return false, err.Error()
		}
		return len(res.GetAccesses()) == 1 && res.GetAccesses()[0].GetPermission() == r.GetPermission(), fmt.Sprint(res.GetAccesses())
	})
}

// --- running the probes ---------------------------------------------------------------

// checkMe compares each person's GET /v1/me capabilities with the document: the union of
// the cells of the columns they play (mona and otto also play the User column).
func (x *matrixEnv) checkMe(tr transport, rows []matrixRow, st *matrixStats) {
	plays := map[string][]int{"uma": {0}, "mona": {0, 1}, "otto": {0, 2}, "ada": {3}, "grace": {4}}
	for col, c := range matrixColumns {
		var want []string
		for _, r := range rows {
			for _, played := range plays[c.actor] {
				if e := r.cells[played].me; e != "" && !slices.Contains(want, e) {
					want = append(want, e)
				}
			}
			st.cells++
		}
		code, out := x.invoke(tr, c.actor, &identityv1.GetMeRequest{})
		if code != codes.OK {
			x.t.Fatalf("%s: GetMe as %s: %v %v", tr, c.actor, code, out)
		}
		var got []string
		for _, v := range out["capabilities"].([]any) {
			got = append(got, v.(string))
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			x.t.Errorf("%s: /v1/me of %s (%s column) lists\n%v\nthe document gives\n%v", tr, c.actor, matrixColumns[col].name, got, want)
		}
	}
}

// runRows makes every probe of rows over tr.
func (x *matrixEnv) runRows(tr transport, rows []matrixRow, st *matrixStats) {
	for _, r := range rows {
		for col, c := range r.cells {
			actor := matrixColumns[col].actor
			for _, p := range c.probes {
				if r.capability == "" {
					st.extraProbes++
				} else {
					st.matrixProbes++
				}
				req := p.req(x)
				code, out := x.invoke(tr, actor, req)
				if code != p.want {
					x.t.Errorf("%s / %s: %s, as %s over %s: %v, want %v (%v)", r.label, matrixColumns[col].name, p.what, actor, tr, code, p.want, out)
					continue
				}
				if code == codes.OK && p.check != nil {
					p.check(x, tr, out)
				}
			}
		}
	}
}

type transport int

const (
	overREST transport = iota
	overGRPC
)

func (tr transport) String() string { return [...]string{"REST", "gRPC"}[tr] }

// invoke makes one call as person over tr and returns its code and its answer as JSON
// (the message on success, the error body otherwise).
func (x *matrixEnv) invoke(tr transport, person string, req proto.Message) (codes.Code, map[string]any) {
	x.t.Helper()
	if tr == overREST {
		return x.overREST(person, req)
	}
	res, err := x.grpcCall(x.as(person), req)
	if err != nil {
		st := status.Convert(err)
		return st.Code(), map[string]any{"code": float64(st.Code()), "message": st.Message()}
	}
	raw, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(res)
	if err != nil {
		x.t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		x.t.Fatal(err)
	}
	return codes.OK, out
}

// grpcCall sends req with the generated client of its service.
func (x *matrixEnv) grpcCall(ctx context.Context, req proto.Message) (proto.Message, error) {
	switch r := req.(type) {
	case *identityv1.GetMeRequest:
		return x.identity.GetMe(ctx, r)
	case *identityv1.CreateUserRequest:
		return x.identity.CreateUser(ctx, r)
	case *identityv1.UpdateUserRequest:
		return x.identity.UpdateUser(ctx, r)
	case *identityv1.OffboardUserRequest:
		return x.identity.OffboardUser(ctx, r)
	case *identityv1.CreateApiKeyRequest:
		return x.identity.CreateApiKey(ctx, r)
	case *identityv1.CreateGroupRequest:
		return x.identity.CreateGroup(ctx, r)
	case *identityv1.DeleteGroupRequest:
		return x.identity.DeleteGroup(ctx, r)
	case *identityv1.CreateAppRequest:
		return x.identity.CreateApp(ctx, r)
	case *identityv1.UpdateAppRequest:
		return x.identity.UpdateApp(ctx, r)
	case *policyv1.CreatePolicyRequest:
		return x.policy.CreatePolicy(ctx, r)
	case *policyv1.CreatePolicyVersionRequest:
		return x.policy.CreatePolicyVersion(ctx, r)
	case *policyv1.ActivatePolicyVersionRequest:
		return x.policy.ActivatePolicyVersion(ctx, r)
	case *requestv1.SubmitRequestRequest:
		return x.request.SubmitRequest(ctx, r)
	case *requestv1.CancelRequestRequest:
		return x.request.CancelRequest(ctx, r)
	case *taskv1.CreateTaskRequest:
		return x.task.CreateTask(ctx, r)
	case *taskv1.ApproveTaskRequest:
		return x.task.ApproveTask(ctx, r)
	case *taskv1.CompleteTaskRequest:
		return x.task.CompleteTask(ctx, r)
	case *taskv1.ReassignTaskRequest:
		return x.task.ReassignTask(ctx, r)
	case *auditv1.VerifyAuditEventsRequest:
		return x.audit.VerifyAuditEvents(ctx, r)
	case *identityv1.SetAppConnectorRequest:
		return x.identity.SetAppConnector(ctx, r)
	case *notificationv1.CreateWebhookRequest:
		return x.notification.CreateWebhook(ctx, r)
	case *notificationv1.ListWebhooksRequest:
		return x.notification.ListWebhooks(ctx, r)
	case *reviewv1.CreateAccessReviewRequest:
		return x.review.CreateAccessReview(ctx, r)
	case *reviewv1.DecideAccessReviewItemRequest:
		return x.review.DecideAccessReviewItem(ctx, r)
	}
	x.t.Fatalf("no gRPC call for %s", proto.MessageName(req))
	return nil, nil
}

// restRoute is the REST twin of a gRPC method, as its google.api.http option declares it.
type restRoute struct{ method, path, body string }

var restRoutes = map[protoreflect.FullName]restRoute{
	"grantflow.identity.v1.GetMeRequest":                {"GET", "/v1/me", ""},
	"grantflow.identity.v1.CreateUserRequest":           {"POST", "/v1/users", "*"},
	"grantflow.identity.v1.UpdateUserRequest":           {"PATCH", "/v1/users/{id}", "user"},
	"grantflow.identity.v1.OffboardUserRequest":         {"POST", "/v1/users/{id}:offboard", "*"},
	"grantflow.identity.v1.CreateApiKeyRequest":         {"POST", "/v1/users/{user_id}/apiKeys", "*"},
	"grantflow.identity.v1.CreateGroupRequest":          {"POST", "/v1/groups", "*"},
	"grantflow.identity.v1.DeleteGroupRequest":          {"DELETE", "/v1/groups/{id}", ""},
	"grantflow.identity.v1.CreateAppRequest":            {"POST", "/v1/apps", "*"},
	"grantflow.identity.v1.UpdateAppRequest":            {"PATCH", "/v1/apps/{id}", "app"},
	"grantflow.policy.v1.CreatePolicyRequest":           {"POST", "/v1/policies", "*"},
	"grantflow.policy.v1.CreatePolicyVersionRequest":    {"POST", "/v1/policies/{policy_id}/versions", "*"},
	"grantflow.policy.v1.ActivatePolicyVersionRequest":  {"POST", "/v1/policies/{policy_id}/versions/{version}:activate", "*"},
	"grantflow.request.v1.SubmitRequestRequest":         {"POST", "/v1/requests", "*"},
	"grantflow.request.v1.CancelRequestRequest":         {"POST", "/v1/requests/{id}:cancel", "*"},
	"grantflow.task.v1.CreateTaskRequest":               {"POST", "/v1/tasks", "*"},
	"grantflow.task.v1.ApproveTaskRequest":              {"POST", "/v1/tasks/{id}:approve", "*"},
	"grantflow.task.v1.CompleteTaskRequest":             {"POST", "/v1/tasks/{id}:complete", "*"},
	"grantflow.task.v1.ReassignTaskRequest":             {"POST", "/v1/tasks/{id}:reassign", "*"},
	"grantflow.audit.v1.VerifyAuditEventsRequest":       {"POST", "/v1/auditEvents:verify", "*"},
	"grantflow.review.v1.CreateAccessReviewRequest":     {"POST", "/v1/accessReviews", "*"},
	"grantflow.review.v1.DecideAccessReviewItemRequest": {"POST", "/v1/accessReviews/{access_review_id}/items/{item_id}:decide", "*"},
	"grantflow.identity.v1.SetAppConnectorRequest":      {"PUT", "/v1/apps/{app_id}/connector", "*"},
	"grantflow.notification.v1.CreateWebhookRequest":    {"POST", "/v1/webhooks", "*"},
	"grantflow.notification.v1.ListWebhooksRequest":     {"GET", "/v1/webhooks", ""},
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// httpStatusOf is the HTTP status the gateway gives each gRPC code API.md names.
var httpStatusOf = map[codes.Code]int{
	codes.InvalidArgument: 400, codes.FailedPrecondition: 400, codes.Unauthenticated: 401, codes.PermissionDenied: 403,
	codes.NotFound: 404, codes.AlreadyExists: 409, codes.Aborted: 409, codes.ResourceExhausted: 429,
}

// overREST sends req through the gateway: path parameters from its fields, the rest as the
// JSON body (or the one field the route names as its body).
func (x *matrixEnv) overREST(person string, req proto.Message) (codes.Code, map[string]any) {
	x.t.Helper()
	route, ok := restRoutes[proto.MessageName(req)]
	if !ok {
		x.t.Fatalf("no REST route for %s", proto.MessageName(req))
	}
	raw, err := protojson.Marshal(req)
	if err != nil {
		x.t.Fatal(err)
	}
	fields := map[string]any{}
	if err := json.Unmarshal(raw, &fields); err != nil {
		x.t.Fatal(err)
	}
	m := req.ProtoReflect()
	path := pathParam.ReplaceAllStringFunc(route.path, func(p string) string {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(p[1 : len(p)-1]))
		delete(fields, fd.JSONName())
		return url.PathEscape(fmt.Sprint(m.Get(fd).Interface()))
	})
	var body any
	switch route.body {
	case "":
	case "*":
		body = fields
	default:
		body = fields[m.Descriptor().Fields().ByName(protoreflect.Name(route.body)).JSONName()]
	}
	var payload any
	if body != nil {
		b, _ := json.Marshal(body)
		payload = string(b)
	}
	res, rawRes := x.s.do(person, route.method, path, payload)
	var out map[string]any
	_ = json.Unmarshal(rawRes, &out)
	if res.StatusCode == 200 {
		return codes.OK, out
	}
	code, _ := out["code"].(float64)
	c := codes.Code(code)
	if want, known := httpStatusOf[c]; !known || want != res.StatusCode || out["message"] == nil || out["details"] == nil {
		x.t.Errorf("REST %s %s as %s: HTTP %d with body %s: not the {code, message, details} of a known code", route.method, path, person, res.StatusCode, rawRes)
	}
	return c, out
}
