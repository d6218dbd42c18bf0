package main

import (
	"fmt"
	"testing"
)

// TestSCIMBadInputWritesNothing: malformed bodies, filters and PATCHes get SCIM errors
// with the right scimType, and the directory is as it was.
func TestSCIMBadInputWritesNothing(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		usersBefore := len(objects(s.must("ada", "GET", "/v1/users?pageSize=500", nil), "users"))
		groupsBefore := len(objects(s.must("ada", "GET", "/v1/groups?pageSize=500", nil), "groups"))
		ulfBefore := s.user(s.id["ulf"])
		const user = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
		const group = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]`
		ulf := "/Users/" + s.id["ulf"]
		for _, tc := range []struct {
			name, method, path, body string
			code                     int
			scimType                 string
		}{
			{"create: not JSON", "POST", "/Users", `{"userName":`, 400, "invalidSyntax"},
			{"create: no schemas", "POST", "/Users", `{"userName":"new@example.com"}`, 400, "invalidSyntax"},
			{"create: no userName", "POST", "/Users", `{` + user + `,"displayName":"X"}`, 400, "invalidValue"},
			{"create: userName not an email", "POST", "/Users", `{` + user + `,"userName":"Test_User_ab6490ee"}`, 400, "invalidValue"},
			{"create: userName taken", "POST", "/Users", `{` + user + `,"userName":"Mona@demo.grantflow.dev"}`, 409, "uniqueness"},
			{"create: active not a boolean", "POST", "/Users", `{` + user + `,"userName":"new@example.com","active":"sometimes"}`, 400, "invalidValue"},
			{"create: unknown manager", "POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","` + scimEnterprise + `"],"userName":"new@example.com","` + scimEnterprise + `":{"manager":"no-such-user"}}`, 400, "invalidValue"},
			{"create: externalId too long", "POST", "/Users", `{` + user + `,"userName":"new@example.com","externalId":"` + fmt.Sprintf("%0300d", 1) + `"}`, 400, "invalidValue"},

			{"filter: no value", "GET", filterPath("Users", `userName eq`), "", 400, "invalidFilter"},
			{"filter: unknown attribute", "GET", filterPath("Users", `shoeSize eq "42"`), "", 400, "invalidFilter"},
			{"filter: unknown operator", "GET", filterPath("Users", `userName like "a"`), "", 400, "invalidFilter"},
			{"filter: groups", "GET", filterPath("Groups", `displayName eq "x" and`), "", 400, "invalidFilter"},
			{"count not a number", "GET", "/Users?count=ten", "", 400, ""},

			{"patch: no schemas", "PATCH", ulf, `{"Operations":[{"op":"replace","path":"displayName","value":"X"}]}`, 400, "invalidValue"},
			{"patch: no operations", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[]}`, 400, "invalidValue"},
			{"patch: unknown operation", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[{"op":"merge","path":"displayName","value":"X"}]}`, 400, "invalidValue"},
			{"patch: unknown path", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[{"op":"replace","path":"shoeSize","value":"42"}]}`, 400, "invalidPath"},
			{"patch: remove without path", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[{"op":"remove"}]}`, 400, "noTarget"},
			{"patch: a good op, then a bad value", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[{"op":"replace","path":"displayName","value":"Changed"},{"op":"replace","path":"active","value":"nope"}]}`, 400, "invalidValue"},
			{"patch: a good op, then an email that is none", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[{"op":"replace","path":"displayName","value":"Changed"},{"op":"replace","path":"userName","value":"not an email"}]}`, 400, "invalidValue"},
			{"patch: own manager", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[{"op":"replace","path":"displayName","value":"Changed"},{"op":"add","path":"` + scimEnterprise + `:manager","value":"` + s.id["ulf"] + `"}]}`, 400, "invalidValue"},
			{"patch: manager line cycle", "PATCH", "/Users/" + s.id["mona"], `{` + scimPatchOp + `,"Operations":[{"op":"add","path":"` + scimEnterprise + `:manager","value":"` + s.id["ulf"] + `"}]}`, 400, "invalidValue"},
			{"patch: taken userName", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[{"op":"replace","path":"userName","value":"uma@demo.grantflow.dev"}]}`, 409, "uniqueness"},
			{"patch: remove userName", "PATCH", ulf, `{` + scimPatchOp + `,"Operations":[{"op":"remove","path":"userName"}]}`, 400, "mutability"},
			{"patch: offboard the General Manager", "PATCH", "/Users/" + s.id["grace"], `{` + scimPatchOp + `,"Operations":[{"op":"replace","path":"active","value":false}]}`, 400, "mutability"},
			{"patch: offboard oneself", "PATCH", "/Users/" + s.id["ada"], `{` + scimPatchOp + `,"Operations":[{"op":"replace","path":"displayName","value":"Changed"},{"op":"Replace","path":"active","value":"False"}]}`, 400, "mutability"},
			{"patch: unknown user", "PATCH", "/Users/no-such-user", `{` + scimPatchOp + `,"Operations":[{"op":"replace","path":"displayName","value":"X"}]}`, 404, ""},
			{"put: userName not an email", "PUT", ulf, `{` + user + `,"userName":"ulf"}`, 400, "invalidValue"},
			{"delete: the General Manager", "DELETE", "/Users/" + s.id["grace"], "", 400, "mutability"},

			{"group: no displayName", "POST", "/Groups", `{` + group + `,"members":[]}`, 400, "invalidValue"},
			{"group: unknown member", "POST", "/Groups", `{` + group + `,"displayName":"G","members":[{"value":"no-such-user"}]}`, 400, "invalidValue"},
			{"group: members not a list of objects", "POST", "/Groups", `{` + group + `,"displayName":"G","members":["x"]}`, 400, "invalidValue"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s.t = t
				s.scimError(s.scim("ada", tc.method, tc.path, tc.body), tc.code, tc.scimType)
			})
		}
		s.t = t

		// A group's member changes that cannot apply leave its members as they were.
		gid := str(s.scimMust(201, "ada", "POST", "/Groups", `{`+group+`,"displayName":"Kept","members":[{"value":"`+s.id["uma"]+`"}]}`), "id")
		s.scimError(s.scim("ada", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[{"op":"add","path":"members","value":[{"value":"`+s.id["ulf"]+`"},{"value":"no-such-user"}]}]}`), 400, "invalidValue")
		s.scimError(s.scim("ada", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[{"op":"add","path":"members[value eq \"`+s.id["ulf"]+`\"]","value":{"value":"`+s.id["ulf"]+`"}}]}`), 400, "invalidPath")
		s.scimError(s.scim("ada", "PATCH", "/Groups/"+gid, `{`+scimPatchOp+`,"Operations":[{"op":"remove","path":"displayName"}]}`), 400, "mutability")
		if g := s.must("ada", "GET", "/v1/groups/"+gid, nil); fmt.Sprint(g["memberIds"]) != fmt.Sprint([]any{s.id["uma"]}) || str(g, "name") != "Kept" {
			t.Errorf("group after refused changes: %v", g)
		}

		if n := len(objects(s.must("ada", "GET", "/v1/users?pageSize=500", nil), "users")); n != usersBefore {
			t.Errorf("%d users after bad input, %d before", n, usersBefore)
		}
		if n := len(objects(s.must("ada", "GET", "/v1/groups?pageSize=500", nil), "groups")); n != groupsBefore+1 {
			t.Errorf("%d groups after bad input, %d before (and one made)", n, groupsBefore)
		}
		ulfAfter := s.user(s.id["ulf"])
		for _, k := range []string{"email", "displayName", "managerId", "status", "etag"} {
			if ulfAfter[k] != ulfBefore[k] {
				t.Errorf("Ulf's %s changed: %v -> %v", k, ulfBefore[k], ulfAfter[k])
			}
		}
		for _, who := range []string{"grace", "ada", "mona"} {
			if u := s.user(s.id[who]); str(u, "status") != "ACTIVE" {
				t.Errorf("%s after refused offboardings: %v", who, u)
			}
		}
		if m := str(s.user(s.id["mona"]), "managerId"); m != s.id["grace"] {
			t.Errorf("Mona's manager after a refused cycle: %s", m)
		}
	})
}
