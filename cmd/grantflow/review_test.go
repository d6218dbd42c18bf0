package main

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestAccessReviewsOverREST runs access reviews on the demo organization, over REST, on
// both engines: Ulf holds Figma viewer (granted by the demo's first request), Mona is his
// manager, Otto owns Figma.
func TestAccessReviewsOverREST(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		figma := s.app["Figma"]
		past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		due := time.Now().Add(72 * time.Hour).UTC().Format(time.RFC3339)
		var id, item string
		s.walk(t, []step{
			{"create without credentials", "", "POST", "/v1/accessReviews", map[string]any{"name": "Q4", "reviewer": map[string]any{"kind": "MANAGER"}}, 401, nil},
			{"a user may not create", "uma", "POST", "/v1/accessReviews", map[string]any{"name": "Q4", "reviewer": map[string]any{"kind": "MANAGER"}}, 403, s.grpcCode(t, codes.PermissionDenied)},
			{"an unknown app", "ada", "POST", "/v1/accessReviews", map[string]any{"name": "Q4", "scope": map[string]any{"appIds": []string{"no-such-app"}}, "reviewer": map[string]any{"kind": "MANAGER"}}, 400, s.badField(t, "scope.app_ids[0]")},
			{"USERS without users", "ada", "POST", "/v1/accessReviews", map[string]any{"name": "Q4", "reviewer": map[string]any{"kind": "USERS"}}, 400, s.badField(t, "reviewer.user_ids")},
			{"a due time in the past", "ada", "POST", "/v1/accessReviews", map[string]any{"name": "Q4", "reviewer": map[string]any{"kind": "MANAGER"}, "dueTime": past}, 400, s.badField(t, "due_time")},
			{"no reviewer kind", "ada", "POST", "/v1/accessReviews", map[string]any{"name": "Q4", "reviewer": map[string]any{}}, 400, s.badField(t, "reviewer.kind")},
			{"create", "ada", "POST", "/v1/accessReviews", map[string]any{"name": "Q4 managers", "scope": map[string]any{"appIds": []string{figma}}, "reviewer": map[string]any{"kind": "MANAGER"}, "dueTime": due}, 200, func(b map[string]any) {
				id = str(b, "id")
				if b["status"] != "DRAFT" {
					t.Errorf("created %v", b)
				}
			}},
		})
		if id == "" {
			t.Fatal("no campaign")
		}
		path := "/v1/accessReviews/" + id
		s.walk(t, []step{
			{"a manager may not launch", "mona", "POST", path + ":launch", map[string]any{}, 404, s.grpcCode(t, codes.NotFound)},
			{"launch", "grace", "POST", path + ":launch", map[string]any{}, 200, func(b map[string]any) {
				p, _ := b["progress"].(map[string]any)
				if b["status"] != "ACTIVE" || p["total"] != "1" || p["pending"] != "1" {
					t.Errorf("launched %v", b)
				}
			}},
			{"launch twice", "ada", "POST", path + ":launch", map[string]any{}, 400, s.grpcCode(t, codes.FailedPrecondition)},
			{"the reviewer reads it", "mona", "GET", path, nil, 200, nil},
			{"the reviewed user does not see it", "ulf", "GET", path, nil, 404, s.grpcCode(t, codes.NotFound)},
			{"nor anyone else", "sara", "GET", path + "/items", nil, 404, nil},
			{"the reviewer's items", "mona", "GET", path + "/items", nil, 200, func(b map[string]any) {
				its := objects(b, "items")
				if len(its) != 1 || its[0]["userId"] != s.id["ulf"] || its[0]["permission"] != "viewer" || its[0]["status"] != "PENDING" ||
					!slices.Equal(anyStrings(its[0]["reviewerIds"]), []string{s.id["mona"]}) {
					t.Fatalf("items %v", its)
				}
				item = str(its[0], "id")
			}},
			{"the reviewer lists someone else's", "mona", "GET", path + "/items?reviewerId=" + s.id["grace"], nil, 403, nil},
			{"the reviewer's campaigns", "mona", "GET", "/v1/accessReviews", nil, 200, func(b map[string]any) {
				if !slices.Contains(ids(objects(b, "accessReviews")), id) {
					t.Error("Mona's list lacks the campaign she reviews in")
				}
			}},
			{"a user's campaigns", "sara", "GET", "/v1/accessReviews", nil, 200, func(b map[string]any) {
				if len(objects(b, "accessReviews")) != 0 {
					t.Errorf("Sara sees %v", b)
				}
			}},
		})
		ipath := path + "/items/" + item
		s.walk(t, []step{
			{"change without a permission", "mona", "POST", ipath + ":decide", map[string]any{"decision": "CHANGE"}, 400, s.badField(t, "permission")},
			{"change to a permission Figma lacks", "mona", "POST", ipath + ":decide", map[string]any{"decision": "CHANGE", "permission": "owner"}, 400, s.badField(t, "permission")},
			{"the reviewed user may not decide", "ulf", "POST", ipath + ":decide", map[string]any{"decision": "KEEP"}, 404, nil},
			{"keep", "mona", "POST", ipath + ":decide", map[string]any{"decision": "KEEP", "justification": "still designs"}, 200, func(b map[string]any) {
				if b["status"] != "DECIDED" || b["decision"] != "KEEP" || b["decidedBy"] != s.id["mona"] {
					t.Errorf("kept %v", b)
				}
			}},
			{"decide twice", "mona", "POST", ipath + ":decide", map[string]any{"decision": "REMOVE"}, 400, s.grpcCode(t, codes.FailedPrecondition)},
			{"the reviewer may not export", "mona", "GET", path + ":export", nil, 403, nil},
		})

		res, raw := s.do("ada", "GET", path+":export", nil)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export = %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), raw)
		}
		rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
		if err != nil || len(rows) != 2 {
			t.Fatalf("export: %v, %d rows:\n%s", err, len(rows), raw)
		}
		row := map[string]string{}
		for i, h := range rows[0] {
			row[h] = rows[1][i]
		}
		for k, want := range map[string]string{
			"item_id": item, "user_id": s.id["ulf"], "user_email": "ulf@demo.grantflow.dev", "app_id": figma, "app_name": "Figma",
			"permission": "viewer", "reviewer_ids": s.id["mona"], "status": "DECIDED", "decision": "KEEP",
			"decided_by": s.id["mona"], "justification": "still designs", "request_id": "",
		} {
			if row[k] != want {
				t.Errorf("export %s = %q, want %q", k, row[k], want)
			}
		}
		if _, err := time.Parse(time.RFC3339, row["grant_time"]); err != nil {
			t.Errorf("export grant_time %q", row["grant_time"])
		}

		// The owner's campaign: Otto reviews, and removes Ulf's Figma access.
		var owners, oitem, req string
		s.walk(t, []step{
			{"create the owners' campaign", "grace", "POST", "/v1/accessReviews", map[string]any{"name": "owners", "scope": map[string]any{"appIds": []string{figma}}, "reviewer": map[string]any{"kind": "APP_OWNER"}}, 200, func(b map[string]any) { owners = str(b, "id") }},
		})
		s.must("grace", "POST", "/v1/accessReviews/"+owners+":launch", map[string]any{})
		its := objects(s.must("otto", "GET", "/v1/accessReviews/"+owners+"/items", nil), "items")
		if len(its) != 1 || its[0]["userId"] != s.id["ulf"] {
			t.Fatalf("otto's items %v", its)
		}
		oitem = str(its[0], "id")
		s.walk(t, []step{
			{"remove", "otto", "POST", "/v1/accessReviews/" + owners + "/items/" + oitem + ":decide", map[string]any{"decision": "REMOVE", "justification": "left the project"}, 200, func(b map[string]any) {
				req = str(b, "requestId")
				if b["decision"] != "REMOVE" || req == "" {
					t.Errorf("removed %v", b)
				}
			}},
		})
		r := s.must("ada", "GET", "/v1/requests/"+req, nil)
		if r["type"] != "REMOVE_ACCESS" || r["requesterId"] != s.id["otto"] || r["targetUserId"] != s.id["ulf"] || r["appId"] != figma || r["stage"] != "ACTION" {
			t.Errorf("the removal's request (no review steps: at its action step) %v", r)
		}
		// The governing policy's action step: Figma's owner is the requester, so the
		// admins carry it out; then Ulf's access is gone.
		s.must("ada", "POST", "/v1/tasks/"+s.pendingTask(t, req, "ada")+":complete", map[string]any{"note": "removed in Figma"})
		s.waitRequest(t, req, "DONE")
		if acc := objects(s.must("ada", "GET", "/v1/accesses?userId="+s.id["ulf"]+"&appId="+figma, nil), "accesses"); len(acc) != 0 {
			t.Errorf("Ulf still holds %v", acc)
		}
		s.walk(t, []step{
			{"a user may not set an origin", "uma", "POST", "/v1/requests", map[string]any{"type": "REMOVE_ACCESS", "appId": figma, "origin": map[string]any{"accessReviewId": owners, "itemId": oitem}}, 400, s.badField(t, "origin")},
		})
		s.walk(t, []step{
			{"close", "ada", "POST", "/v1/accessReviews/" + owners + ":close", map[string]any{}, 200, func(b map[string]any) {
				p, _ := b["progress"].(map[string]any)
				if b["status"] != "CLOSED" || p["removed"] != "1" {
					t.Errorf("closed %v", b)
				}
			}},
			{"close twice", "ada", "POST", "/v1/accessReviews/" + owners + ":close", map[string]any{}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		})
		waitFor(t, "the review's events in audit", func() (bool, string) {
			b := s.must("ada", "GET", "/v1/auditEvents?subject=accessReviews/"+owners, nil)
			var actions []string
			for _, ev := range objects(b, "auditEvents") {
				actions = append(actions, str(ev, "action"))
			}
			return slices.Equal(actions, []string{"accessReview.created", "accessReview.launched", "accessReview.closed"}), strings.Join(actions, ",")
		})
	})
}

func anyStrings(v any) []string {
	var out []string
	l, _ := v.([]any)
	for _, x := range l {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
