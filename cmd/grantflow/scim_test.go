package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/proctest"
)

// The SCIM replays: the request sequences Microsoft Entra ID and Okta send when they
// provision (from their documentation: Entra's "Develop and plan provisioning for a SCIM
// endpoint" request/response examples and its SCIM compliance notes, Okta's SCIM 2.0
// reference), replayed against the all-in-one process on both engines; the effects are
// checked through the REST API, not through the SCIM answers alone.

const (
	scimPatchOp    = `"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]`
	scimEnterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
)

// scimResult is one SCIM answer.
type scimResult struct {
	code int
	body map[string]any
	raw  string
}

// scim does one SCIM call as person (a demo handle; "" for no credentials).
func (s *system) scim(person, method, path, body string) scimResult {
	s.t.Helper()
	var b any
	if body != "" {
		b = body
	}
	res, raw := s.do(person, method, "/scim/v2"+path, b)
	out := scimResult{code: res.StatusCode, raw: string(raw)}
	if len(raw) > 0 {
		if ct := res.Header.Get("Content-Type"); ct != "application/scim+json" {
			s.t.Errorf("%s %s: Content-Type %q", method, path, ct)
		}
		if err := json.Unmarshal(raw, &out.body); err != nil {
			s.t.Errorf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return out
}

// scimMust does a SCIM call that has to answer want.
func (s *system) scimMust(want int, person, method, path, body string) map[string]any {
	s.t.Helper()
	r := s.scim(person, method, path, body)
	if r.code != want {
		s.t.Fatalf("%s %s as %s = %d, want %d: %s", method, path, person, r.code, want, r.raw)
	}
	return r.body
}

// scimError checks a SCIM error answer: the code, the Error schema, the status as a
// string, and the scimType ("" for none).
func (s *system) scimError(r scimResult, code int, scimType string) {
	s.t.Helper()
	schemas, _ := r.body["schemas"].([]any)
	if r.code != code || len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" ||
		r.body["status"] != fmt.Sprint(code) || str(r.body, "scimType") != scimType {
		s.t.Errorf("want SCIM error %d %q, got %d: %s", code, scimType, r.code, r.raw)
	}
}

func filterPath(resource, filter string, more ...string) string {
	q := "/" + resource + "?filter=" + url.QueryEscape(filter)
	for _, m := range more {
		q += "&" + m
	}
	return q
}

func totalResults(b map[string]any) int {
	n, _ := b["totalResults"].(float64)
	return int(n)
}

// user reads a user over the REST API, as the Admin.
func (s *system) user(id string) map[string]any {
	s.t.Helper()
	return s.must("ada", "GET", "/v1/users/"+id, nil)
}

// tasksOf lists the tasks assigned to a user, as the Admin.
func (s *system) tasksOf(id string) []map[string]any {
	s.t.Helper()
	return objects(s.must("ada", "GET", "/v1/tasks?assigneeId="+id, nil), "tasks")
}

// waitFor polls cond until it holds (what the services do through their outboxes, the
// onboarding and offboarding triggers, the events that reach audit, is asynchronous by
// design), failing after a minute, a deadline that only bounds a hang.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	proctest.Poll(t, time.Minute, what, cond)
}

func hasTask(tasks []map[string]any, actionPrefix string) bool {
	return slices.ContainsFunc(tasks, func(t map[string]any) bool { return strings.HasPrefix(str(t, "action"), actionPrefix) })
}

func TestSCIMDiscoveryAndAuthentication(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		cfg := s.scimMust(200, "ada", "GET", "/ServiceProviderConfig", "")
		if p, _ := cfg["patch"].(map[string]any); p["supported"] != true {
			t.Errorf("ServiceProviderConfig: %v", cfg)
		}
		types := s.scimMust(200, "grace", "GET", "/ResourceTypes", "")
		var names []string
		for _, r := range objects(types, "Resources") {
			names = append(names, str(r, "name"))
		}
		if !slices.Equal(names, []string{"User", "Group"}) {
			t.Errorf("ResourceTypes: %v", names)
		}
		schemas := s.scimMust(200, "ada", "GET", "/Schemas", "")
		if ids := ids(objects(schemas, "Resources")); !slices.Contains(ids, "urn:ietf:params:scim:schemas:core:2.0:User") ||
			!slices.Contains(ids, scimEnterprise) || !slices.Contains(ids, "urn:ietf:params:scim:schemas:core:2.0:Group") {
			t.Errorf("Schemas: %v", ids)
		}
		s.scimMust(200, "ada", "GET", "/Schemas/"+scimEnterprise, "")

		// No credentials and bad ones: 401; a user, even a manager: 403; all as SCIM errors.
		s.scimError(s.scim("", "GET", "/Users", ""), 401, "")
		s.scimError(s.scim("nobody", "GET", "/Users", ""), 401, "")
		s.scimError(s.scim("mona", "GET", "/Users", ""), 403, "")
		s.scimError(s.scim("mona", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x@example.com"}`), 403, "")
		s.scimError(s.scim("ulf", "GET", "/ServiceProviderConfig", ""), 403, "")
		s.scimError(s.scim("ada", "GET", "/Nothing", ""), 404, "")
	})
}

// TestSCIMEntraSequence replays what Microsoft Entra ID sends: a userName lookup before
// the create, the create, lookups by userName and externalId, PATCHes with capitalized
// operation names, value-filtered paths and "False", the manager as a bare id in the
// enterprise extension, and the group sequence (displayName lookup, create, member add and
// remove by value list and by value filter, delete).
func TestSCIMEntraSequence(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		const ext = "58342554-38d6-4ec8-948c-50044d0a33fd"
		lookup := filterPath("Users", `userName eq "Jane.Doe@Example.com"`)
		if b := s.scimMust(200, "ada", "GET", lookup, ""); totalResults(b) != 0 {
			t.Fatalf("lookup before create: %v", b)
		}
		created := s.scimMust(201, "ada", "POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "`+scimEnterprise+`"],
			"externalId": "`+ext+`",
			"userName": "Jane.Doe@Example.com",
			"active": true,
			"emails": [{"primary": true, "type": "work", "value": "Jane.Doe@Example.com"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "Jane Doe", "familyName": "Doe", "givenName": "Jane"},
			"roles": []
		}`)
		id := str(created, "id")
		if id == "" || str(created, "externalId") != ext || created["active"] != true || str(created, "userName") != "jane.doe@example.com" {
			t.Fatalf("created: %v", created)
		}
		// Onboarded as POST /v1/users does: reporting to the General Manager (no manager in
		// the source yet), with the onboarding trigger's task.
		if u := s.user(id); str(u, "managerId") != s.id["grace"] || str(u, "displayName") != "Jane Doe" || str(u, "externalId") != ext || str(u, "status") != "ACTIVE" {
			t.Fatalf("identity's user: %v", u)
		}
		waitFor(t, "the onboarding task", func() (bool, string) {
			tasks := s.tasksOf(id)
			return hasTask(tasks, "Welcome to Grantflow"), fmt.Sprint(tasks)
		})
		// The lookups Entra makes: userName in any case, externalId.
		for _, f := range []string{`userName eq "Jane.Doe@Example.com"`, `userName eq "jane.doe@example.com"`, `externalId eq "` + ext + `"`, `displayName eq "jane doe"`} {
			b := s.scimMust(200, "ada", "GET", filterPath("Users", f), "")
			if got := ids(objects(b, "Resources")); totalResults(b) != 1 || !slices.Equal(got, []string{id}) {
				t.Errorf("filter %s: %v", f, b)
			}
		}
		if b := s.scimMust(200, "ada", "GET", filterPath("Users", `externalId eq "`+strings.ToUpper(ext)+`"`), ""); totalResults(b) != 0 {
			t.Errorf("externalId is case-exact: %v", b)
		}
		s.scimMust(200, "ada", "GET", "/Users/"+id, "")

		// Update user [multi-valued and single-valued properties].
		s.scimMust(200, "ada", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[
			{"op":"Replace","path":"emails[type eq \"work\"].value","value":"jane.roe@example.com"},
			{"op":"Replace","path":"name.familyName","value":"Roe"},
			{"op":"Replace","path":"userName","value":"jane.roe@example.com"},
			{"op":"Replace","path":"displayName","value":"Jane Roe"},
			{"op":"Add","path":"title","value":"Engineer"}]}`)
		if u := s.user(id); str(u, "email") != "jane.roe@example.com" || str(u, "displayName") != "Jane Roe" {
			t.Fatalf("after the update: %v", u)
		}
		// The manager, as Entra sends it: a bare id on the enterprise extension's path.
		got := s.scimMust(200, "ada", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[
			{"op":"Add","path":"`+scimEnterprise+`:manager","value":"`+s.id["mona"]+`"}]}`)
		if m, _ := got[scimEnterprise].(map[string]any); fmt.Sprint(m["manager"]) == "" || str(s.user(id), "managerId") != s.id["mona"] {
			t.Fatalf("manager after the PATCH: %v / %v", got, s.user(id))
		}
		// Removing the manager: back to the General Manager (everyone but the GM has one).
		s.scimMust(200, "ada", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[{"op":"Remove","path":"`+scimEnterprise+`:manager"}]}`)
		if m := str(s.user(id), "managerId"); m != s.id["grace"] {
			t.Fatalf("manager after removing it: %s", m)
		}
		s.scimMust(200, "ada", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[
			{"op":"Replace","path":"`+scimEnterprise+`:manager","value":{"value":"`+s.id["sam"]+`"}}]}`)
		if m := str(s.user(id), "managerId"); m != s.id["sam"] {
			t.Fatalf("manager as an object: %s", m)
		}

		// The group sequence, while Jane is active.
		if b := s.scimMust(200, "ada", "GET", filterPath("Groups", `displayName eq "Engineering Leads"`, "excludedAttributes=members"), ""); totalResults(b) != 0 {
			t.Fatalf("group lookup before create: %v", b)
		}
		g := s.scimMust(201, "ada", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159","displayName":"Engineering Leads","meta":{"resourceType":"Group"}}`)
		gid := str(g, "id")
		members := func() []string {
			var out []string
			for _, m := range s.must("ada", "GET", "/v1/groups/"+gid, nil)["memberIds"].([]any) {
				out = append(out, m.(string))
			}
			return out
		}
		if b := s.scimMust(200, "ada", "GET", filterPath("Groups", `displayName eq "engineering leads"`), ""); !slices.Equal(ids(objects(b, "Resources")), []string{gid}) {
			t.Fatalf("group lookup: %v", b)
		}
		s.scimMust(200, "ada", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[
			{"op":"Replace","path":"displayName","value":"Engineering leads"},
			{"op":"Add","path":"members","value":[{"$ref":null,"value":"`+id+`"},{"value":"`+s.id["otto"]+`"},{"value":"`+s.id["uma"]+`"}]}]}`)
		if got := members(); !slices.Equal(got, []string{id, s.id["otto"], s.id["uma"]}) {
			t.Fatalf("members after add: %v", got)
		}
		// Remove by a list of values (Entra's older form), then by a value filter.
		s.scimMust(200, "ada", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"`+s.id["otto"]+`"}]}]}`)
		s.scimMust(200, "ada", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[{"op":"remove","path":"members[value eq \"`+s.id["uma"]+`\"]"}]}`)
		if got := members(); !slices.Equal(got, []string{id}) {
			t.Fatalf("members after the removals: %v", got)
		}
		if b := s.scimMust(200, "ada", "GET", "/Groups/"+gid, ""); str(b, "displayName") != "Engineering leads" || len(objects(b, "members")) != 1 {
			t.Fatalf("group: %v", b)
		}

		// Disable user: Replace with the string "False" offboards, with the trigger's
		// Remove Access requests and confirmation task.
		off := s.scimMust(200, "ada", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
		if off["active"] != false || str(s.user(id), "status") != "OFFBOARDED" {
			t.Fatalf("after active False: %v / %v", off, s.user(id))
		}
		waitFor(t, "the offboarding task", func() (bool, string) {
			tasks := s.tasksOf(s.id["ada"])
			return hasTask(tasks, "Confirm the offboarding of jane.roe@example.com"), fmt.Sprint(len(tasks))
		})
		// The same again changes nothing; reactivating is refused, naming why.
		s.scimMust(200, "ada", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[{"op":"Replace","path":"active","value":"False"}]}`)
		s.scimError(s.scim("ada", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[{"op":"Replace","path":"active","value":"True"}]}`), 400, "mutability")
		if b := s.scimMust(200, "ada", "GET", filterPath("Users", `userName eq "jane.roe@example.com"`), ""); totalResults(b) != 1 || objects(b, "Resources")[0]["active"] != false {
			t.Fatalf("an offboarded user is listed inactive: %v", b)
		}

		// Delete user and group.
		s.scimMust(204, "ada", "DELETE", "/Users/"+id, "")
		s.scimMust(204, "ada", "DELETE", "/Groups/"+gid, "")
		s.scimError(s.scim("ada", "GET", "/Groups/"+gid, ""), 404, "")
		s.scimError(s.scim("ada", "GET", "/Users/no-such-user", ""), 404, "")
	})
}

// TestSCIMOktaSequence replays Okta's: the connection test, a userName lookup with
// startIndex and count, a create with attributes Grantflow does not keep, a full PUT, a
// PATCH without path deactivating, and the group sequence (create, rename without path,
// member remove by value filter and add, replace of all members).
func TestSCIMOktaSequence(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		if b := s.scimMust(200, "grace", "GET", "/Users?startIndex=1&count=2", ""); totalResults(b) < 8 || len(objects(b, "Resources")) != 2 {
			t.Fatalf("connection test: %v", b)
		}
		if b := s.scimMust(200, "grace", "GET", filterPath("Users", `userName eq "test.user@okta.local"`, "startIndex=1", "count=100"), ""); totalResults(b) != 0 {
			t.Fatalf("user exists: %v", b)
		}
		created := s.scimMust(201, "grace", "POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName": "test.user@okta.local",
			"name": {"givenName": "Test", "familyName": "User"},
			"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
			"displayName": "Test User",
			"locale": "en-US",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"groups": [],
			"password": "1mz050nq",
			"active": true
		}`)
		id := str(created, "id")
		if u := s.user(id); str(u, "displayName") != "Test User" || str(u, "externalId") != "00ujl29u0le5T6Aj10h7" {
			t.Fatalf("created: %v", u)
		}
		// The manager in the create body's enterprise extension.
		boss := s.scimMust(201, "grace", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","`+scimEnterprise+`"],
			"userName":"boss@okta.local","name":{"givenName":"Bo","familyName":"Ss"},"active":true,
			"`+scimEnterprise+`":{"manager":{"value":"`+s.id["mona"]+`"},"department":"R&D"}}`)
		bossID := str(boss, "id")
		if u := s.user(bossID); str(u, "managerId") != s.id["mona"] || str(u, "displayName") != "Bo Ss" {
			t.Fatalf("created with a manager: %v", u)
		}
		s.scimMust(200, "grace", "GET", "/Users/"+id, "")

		// Update user: a full PUT. The externalId and manager it leaves out are kept.
		s.scimMust(200, "grace", "PUT", "/Users/"+id, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "`+id+`",
			"userName": "test.user@okta.local",
			"name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
			"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work", "display": "test.user@okta.local"}],
			"active": true, "groups": [], "meta": {"resourceType": "User"}
		}`)
		if u := s.user(id); str(u, "displayName") != "Another User" || str(u, "externalId") != "00ujl29u0le5T6Aj10h7" || str(u, "managerId") != s.id["grace"] {
			t.Fatalf("after PUT: %v", u)
		}
		// A PATCH without path, its value an object, with a dotted and a URN key.
		s.scimMust(200, "grace", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[{"op":"replace","value":{
			"displayName":"Test Q. User","`+scimEnterprise+`:manager":"`+bossID+`"}}]}`)
		if u := s.user(id); str(u, "displayName") != "Test Q. User" || str(u, "managerId") != bossID {
			t.Fatalf("after PATCH without path: %v", u)
		}
		s.scimMust(200, "grace", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[{"op":"replace","value":{
			"`+scimEnterprise+`":{"manager":{"value":"`+s.id["sam"]+`"}}}}]}`)
		if m := str(s.user(id), "managerId"); m != s.id["sam"] {
			t.Fatalf("manager through the extension object: %s", m)
		}

		// Groups.
		g := s.scimMust(201, "grace", "POST", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`)
		gid := str(g, "id")
		s.scimMust(200, "grace", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[{"op":"replace","value":{"id":"`+gid+`","displayName":"Test SCIMv2 renamed"}}]}`)
		s.scimMust(200, "grace", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[{"op":"add","path":"members","value":[{"value":"`+bossID+`","display":"boss@okta.local"}]}]}`)
		s.scimMust(200, "grace", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[
			{"op":"remove","path":"members[value eq \"`+bossID+`\"]"},
			{"op":"add","path":"members","value":[{"value":"`+id+`","display":"test.user@okta.local"}]}]}`)
		grp := s.must("grace", "GET", "/v1/groups/"+gid, nil)
		if str(grp, "name") != "Test SCIMv2 renamed" || fmt.Sprint(grp["memberIds"]) != fmt.Sprint([]any{id}) {
			t.Fatalf("group: %v", grp)
		}
		s.scimMust(200, "grace", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[{"op":"replace","path":"members","value":[
			{"value":"`+id+`"},{"value":"`+bossID+`"}]}]}`)
		if got := s.must("grace", "GET", "/v1/groups/"+gid, nil)["memberIds"]; fmt.Sprint(got) != fmt.Sprint([]any{id, bossID}) {
			t.Fatalf("members after replace: %v", got)
		}
		if b := s.scimMust(200, "grace", "GET", filterPath("Groups", `displayName eq "Test SCIMv2 renamed"`), ""); totalResults(b) != 1 {
			t.Fatalf("group lookup: %v", b)
		}
		// A full PUT of the group: its name and members as sent.
		s.scimMust(200, "grace", "PUT", "/Groups/"+gid, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[{"value":"`+bossID+`"}]}`)
		if grp := s.must("grace", "GET", "/v1/groups/"+gid, nil); str(grp, "name") != "Test SCIMv2" || fmt.Sprint(grp["memberIds"]) != fmt.Sprint([]any{bossID}) {
			t.Fatalf("group after PUT: %v", grp)
		}

		// Deactivate: a PATCH without path, active false.
		s.scimMust(200, "grace", "PATCH", "/Users/"+id, `{`+scimPatchOp+`,"Operations":[{"op":"replace","value":{"active":false}}]}`)
		if u := s.user(id); str(u, "status") != "OFFBOARDED" {
			t.Fatalf("after deactivation: %v", u)
		}
		// DELETE offboards too.
		s.scimMust(204, "grace", "DELETE", "/Users/"+bossID, "")
		if u := s.user(bossID); str(u, "status") != "OFFBOARDED" {
			t.Fatalf("after DELETE: %v", u)
		}
	})
}
