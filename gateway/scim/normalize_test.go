package scim

import (
	"encoding/json"
	"testing"

	"github.com/elimity-com/scim"
	filter "github.com/scim2/filter-parser/v2"
)

func TestNormalizeWrapsABareManagerID(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		patch          bool
	}{
		{"Entra's PATCH with path", `{"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"m1"}]}`,
			`{"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m1"}}]}`, true},
		{"path in another case", `{"operations":[{"OP":"add","PATH":"URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:MANAGER","VALUE":"m1"}]}`,
			`{"operations":[{"OP":"add","PATH":"URN:ietf:params:scim:schemas:extension:enterprise:2.0:User:MANAGER","VALUE":{"value":"m1"}}]}`, true},
		{"no path, URN key", `{"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":"m1","displayName":"X"}}]}`,
			`{"Operations":[{"op":"replace","value":{"displayName":"X","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":"m1"}}}]}`, true},
		{"no path, extension object", `{"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m1"}}}]}`,
			`{"Operations":[{"op":"replace","value":{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m1"}}}}]}`, true},
		{"POST body", `{"userName":"a@b.c","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":"m1","department":"R"}}`,
			`{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"R","manager":{"value":"m1"}},"userName":"a@b.c"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, changed := normalizeUserBody([]byte(tc.in), tc.patch)
			if !changed || !sameJSON(t, out, tc.want) {
				t.Errorf("normalized %s (changed %v), want %s", out, changed, tc.want)
			}
		})
	}
	for _, tc := range []struct {
		name, in string
		patch    bool
	}{
		{"manager already an object", `{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"m1"}}]}`, true},
		{"another attribute's string", `{"Operations":[{"op":"replace","path":"displayName","value":"m1"}]}`, true},
		{"not JSON", `{"Operations":[`, true},
		{"POST without the extension", `{"userName":"a@b.c","manager":"m1"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if out, changed := normalizeUserBody([]byte(tc.in), tc.patch); changed {
				t.Errorf("changed into %s", out)
			}
		})
	}
}

func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	ra, _ := json.Marshal(a)
	rb, _ := json.Marshal(b)
	return string(ra) == string(rb)
}

func TestWindow(t *testing.T) {
	items := []scim.Resource{{ID: "a"}, {ID: "b"}, {ID: "c"}}
	for _, tc := range []struct {
		start, count int
		want         string
	}{{1, 2, "ab"}, {2, 5, "bc"}, {3, 1, "c"}, {4, 1, ""}, {0, 1, "a"}, {1, 0, ""}} {
		got := ""
		for _, r := range window(items, tc.start, tc.count) {
			got += r.ID
		}
		if got != tc.want {
			t.Errorf("window(%d, %d) = %q, want %q", tc.start, tc.count, got, tc.want)
		}
	}
}

// The outcome of a PATCH's operations on what SCIM may change of a user.
func TestUserPatchOnto(t *testing.T) {
	path := func(s string) *filter.Path {
		p, err := filter.ParsePath([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return &p
	}
	was := userState{email: "a@example.com", displayName: "Ann Lee", externalID: "x1", managerID: "m0", active: true}
	for _, tc := range []struct {
		name string
		ops  []scim.PatchOperation
		want userState
	}{
		{"userName wins over the work email", []scim.PatchOperation{
			{Op: "replace", Path: path(`emails[type eq "work"].value`), Value: "w@example.com"},
			{Op: "replace", Path: path("userName"), Value: "u@example.com"},
		}, userState{email: "u@example.com", displayName: "Ann Lee", externalID: "x1", managerID: "m0", active: true}},
		{"the work email alone", []scim.PatchOperation{{Op: "replace", Path: path(`emails[type eq "work"].value`), Value: "w@example.com"}},
			userState{email: "w@example.com", displayName: "Ann Lee", externalID: "x1", managerID: "m0", active: true}},
		{"a home email is not kept", []scim.PatchOperation{{Op: "add", Path: path(`emails[type eq "home"].value`), Value: "h@example.com"}}, was},
		{"one name part does not rebuild the display name", []scim.PatchOperation{{Op: "replace", Path: path("name.familyName"), Value: "Roe"}}, was},
		{"both name parts do", []scim.PatchOperation{{Op: "replace", Value: map[string]any{"name.givenName": "Ann", "name.familyName": "Roe"}}},
			userState{email: "a@example.com", displayName: "Ann Roe", externalID: "x1", managerID: "m0", active: true}},
		{"no path: manager, active, externalId", []scim.PatchOperation{{Op: "replace", Value: map[string]any{
			enterpriseURN: map[string]any{"manager": map[string]any{"value": "m2"}}, "active": false, "externalId": "x2"}}},
			userState{email: "a@example.com", displayName: "Ann Lee", externalID: "x2", managerID: "m2", active: false}},
		{"manager removed", []scim.PatchOperation{{Op: "remove", Path: path(managerPath)}},
			userState{email: "a@example.com", displayName: "Ann Lee", externalID: "x1", managerID: "", active: true}},
		{"manager.value", []scim.PatchOperation{{Op: "replace", Path: path(managerPath + ".value"), Value: "m3"}},
			userState{email: "a@example.com", displayName: "Ann Lee", externalID: "x1", managerID: "m3", active: true}},
		{"attributes not kept", []scim.PatchOperation{{Op: "add", Path: path("title"), Value: "Boss"}, {Op: "replace", Path: path(enterpriseURN + ":department"), Value: "R"}}, was},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, p := was, userPatch{}
			for _, op := range tc.ops {
				if err := p.apply(op); err != nil {
					t.Fatal(err)
				}
			}
			p.onto(&st)
			if st != tc.want {
				t.Errorf("got %+v, want %+v", st, tc.want)
			}
		})
	}
}
