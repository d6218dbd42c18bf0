package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
)

// TestInvalidUTF8IsABadRequestNamingTheField: invalid UTF-8 anywhere a client can put it
// (a path parameter, a query parameter's name or value, a JSON body's key or value) is
// 400 INVALID_ARGUMENT with a BadRequest naming the field, and never reaches a service.
// Before, grpc-gateway failed to marshal such a request and answered 500 "string field
// contains invalid UTF-8".
func TestInvalidUTF8IsABadRequestNamingTheField(t *testing.T) {
	h, backend := newDecodeGateway(t)
	for i, tc := range []struct {
		method, target, body, field string
	}{
		{"GET", "/v1/requests/%00%ff", "", "id"},
		{"GET", "/v1/tasks/%ff", "", "id"},
		{"POST", "/v1/tasks/%ff:approve", `{}`, "id"},
		{"GET", "/v1/policies/p1/versions/%ff", "", "version"},
		{"GET", "/v1/policies/%c3%28/versions", "", "policy_id"},
		{"GET", "/v1/requests?targetUserId=%ff", "", "targetUserId"},
		{"GET", "/v1/tasks?status=PENDING&assigneeId=u%fe1", "", "assigneeId"},
		{"GET", "/v1/requests?%ff=1", "", "\uFFFD"},
		{"POST", "/v1/requests", "{\"type\":\"GRANT_ACCESS\",\"reason\":\"\xff\xfe\"}", "reason"},
		{"POST", "/v1/requests", "{\"reason\xff\":\"x\"}", "reason\uFFFD"},
		{"POST", "/v1/policies", "{\"name\":\"P\",\"workflow\":{\"reviewSteps\":[{\"name\":\"ok\"},{\"name\":\"M\xc0\"}]}}", "workflow.reviewSteps[1].name"},
		{"POST", "/v1/groups", "{\"name\":\"g\",\"memberIds\":[\"a\",\"b\",\"\xed\xa0\x80\"]}", "memberIds[2]"},
		{"PATCH", "/v1/users/u1", "{\"displayName\":\"\xff\"}", "displayName"},
	} {
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer good")
		id := "utf8-" + string(rune('a'+i)) + "-0"
		req.Header.Set("X-Request-Id", id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if _, reached := backend.take(id); reached {
			t.Errorf("%s %s %q reached the backend", tc.method, tc.target, tc.body)
		}
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if rec.Code != http.StatusBadRequest || codes.Code(out["code"].(float64)) != codes.InvalidArgument {
			t.Errorf("%s %s %q = %d %s, want 400 INVALID_ARGUMENT", tc.method, tc.target, tc.body, rec.Code, rec.Body.Bytes())
			continue
		}
		if !namesField(out, tc.field) {
			t.Errorf("%s %s %q: %s does not name %q", tc.method, tc.target, tc.body, rec.Body.Bytes(), tc.field)
		}
	}
	// A valid call still passes, and an X-Request-Id that cannot travel as gRPC metadata
	// is replaced rather than failing the call.
	req := httptest.NewRequest("GET", "/v1/requests/r%C3%A91", nil)
	req.Header.Set("Authorization", "Bearer good")
	req.Header.Set("X-Request-Id", "bad\xffid")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	got := rec.Header().Get("X-Request-Id")
	if _, reached := backend.take(got); !reached || got == "bad\xffid" {
		t.Errorf("a valid call with a non-ASCII X-Request-Id: %d %s (id %q)", rec.Code, rec.Body.Bytes(), got)
	}
}

// namesField reports whether an error body has a google.rpc.BadRequest naming field.
func namesField(body map[string]any, field string) bool {
	details, _ := body["details"].([]any)
	for _, d := range details {
		dm, _ := d.(map[string]any)
		if t, _ := dm["@type"].(string); !strings.HasSuffix(t, "google.rpc.BadRequest") {
			continue
		}
		violations, _ := dm["fieldViolations"].([]any)
		for _, v := range violations {
			vm, _ := v.(map[string]any)
			if f, _ := vm["field"].(string); f == field {
				return true
			}
		}
	}
	return false
}
