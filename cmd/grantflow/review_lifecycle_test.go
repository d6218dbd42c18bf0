package main

import (
	"encoding/csv"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
)

// TestAccessReviewLifecycleOverREST runs access reviews from launch to export over REST,
// on both engines, on the demo organization with Uma (Figma editor) and Otto (Figma viewer,
// and Figma's owner) added to Ulf (Figma viewer): the reviewers' ACCESS_REVIEW tasks in
// GET /v1/tasks, items blocked and released by requests and by owners changing after the
// launch, a CHANGE carried out and followed by its item, the self-review fallback to the
// admins, closing, and the export checked row by row.
func TestAccessReviewLifecycleOverREST(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		figma := s.app["Figma"]
		s.grantNow(t, "uma", figma, "editor")
		s.grantNow(t, "otto", figma, "viewer")

		c := s.must("ada", "POST", "/v1/accessReviews", map[string]any{"name": "Figma by managers", "scope": map[string]any{"appIds": []string{figma}}, "reviewer": map[string]any{"kind": "MANAGER"}})
		id := str(c, "id")
		path := "/v1/accessReviews/" + id
		launched := s.must("ada", "POST", path+":launch", map[string]any{})
		if p, _ := launched["progress"].(map[string]any); p["total"] != "3" || p["pending"] != "2" || p["blocked"] != "1" {
			t.Fatalf("launched %v", launched)
		}
		item := s.itemsByUser(t, "ada", path)
		if it := item["otto"]; it["status"] != "BLOCKED" || it["blockedReason"] != "owner of the app" {
			t.Errorf("the owner's own access: %v", it)
		}
		for _, who := range []string{"ulf", "uma", "otto"} {
			if got := anyStrings(item[who]["reviewerIds"]); !slices.Equal(got, []string{s.id["mona"]}) {
				t.Errorf("%s's item is reviewed by %v, want Mona", who, got)
			}
		}
		if item["uma"]["userDisplayName"] != "Uma Chen" {
			t.Errorf("the item's user name: %v", item["uma"])
		}

		// Mona's inbox shows the review beside her approvals; it cannot be approved.
		task := s.reviewTask(t, "mona", id)
		s.walk(t, []step{
			{"approve a review task", "mona", "POST", "/v1/tasks/" + str(task, "id") + ":approve", map[string]any{}, 400, s.grpcCode(t, codes.FailedPrecondition)},
			{"complete a review task", "ada", "POST", "/v1/tasks/" + str(task, "id") + ":complete", map[string]any{}, 400, s.grpcCode(t, codes.FailedPrecondition)},
			{"decide a blocked item", "mona", "POST", path + "/items/" + str(item["otto"], "id") + ":decide", map[string]any{"decision": "KEEP"}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		})

		// Ulf asks for more on Figma: his item is blocked while the request is open.
		req := s.submitOK(t, "ulf", map[string]any{"type": "CHANGE_PERMISSION", "appId": figma, "permission": "editor", "reason": "new project"})
		s.waitItem(t, path, "ulf", "BLOCKED", "open request "+req+" on the app")
		s.walk(t, []step{
			{"decide an item blocked by a request", "mona", "POST", path + "/items/" + str(item["ulf"], "id") + ":decide", map[string]any{"decision": "KEEP"}, 400, s.grpcCode(t, codes.FailedPrecondition)},
		})
		s.must("ulf", "POST", "/v1/requests/"+req+":cancel", map[string]any{"reason": "not needed"})
		s.waitItem(t, path, "ulf", "PENDING", "")

		// Uma becomes an owner of Figma, then stops being one.
		otto := s.id["otto"]
		s.must("ada", "PATCH", "/v1/apps/"+figma, map[string]any{"ownerIds": []string{otto, s.id["uma"]}})
		s.waitItem(t, path, "uma", "BLOCKED", "owner of the app")
		s.must("ada", "PATCH", "/v1/apps/"+figma, map[string]any{"ownerIds": []string{otto}})
		s.waitItem(t, path, "uma", "PENDING", "")

		// Keep Ulf's, change Uma's to viewer; the change's request is carried out and the
		// item follows it.
		s.must("mona", "POST", path+"/items/"+str(item["ulf"], "id")+":decide", map[string]any{"decision": "KEEP", "justification": "still designs"})
		changed := s.must("mona", "POST", path+"/items/"+str(item["uma"], "id")+":decide", map[string]any{"decision": "CHANGE", "permission": "viewer", "justification": "no longer edits"})
		change := str(changed, "requestId")
		if changed["requestStatus"] != "IN_PROGRESS" || change == "" {
			t.Fatalf("changed %v", changed)
		}
		s.pushThrough(t, change)
		s.waitRequest(t, change, "DONE")
		s.wantAccesses(t, "uma", figma, "viewer")
		waitFor(t, "the CHANGE item follows its request", func() (bool, string) {
			it := s.itemsByUser(t, "ada", path)["uma"]
			return it["requestStatus"] == "DONE", str(it, "requestStatus")
		})
		// Otto's own access is still blocked: Mona's review task stays pending.
		if p, _ := s.must("ada", "GET", path, nil)["progress"].(map[string]any); p["kept"] != "1" || p["changed"] != "1" || p["blocked"] != "1" || p["pending"] != "0" {
			t.Errorf("progress %v", p)
		}
		if got := s.must("mona", "GET", "/v1/tasks/"+str(task, "id"), nil); got["status"] != "PENDING" {
			t.Errorf("Mona's review task with a blocked item left: %v", got["status"])
		}

		// The owners' campaign: Otto reviews Ulf's and Uma's; his own access goes to the
		// admins (nobody reviews their own access). Deciding his two items finishes his task.
		o := s.must("grace", "POST", "/v1/accessReviews", map[string]any{"name": "Figma by owners", "scope": map[string]any{"appIds": []string{figma}}, "reviewer": map[string]any{"kind": "APP_OWNER"}})
		opath := "/v1/accessReviews/" + str(o, "id")
		s.must("grace", "POST", opath+":launch", map[string]any{})
		oitems := s.itemsByUser(t, "ada", opath)
		if got := anyStrings(oitems["otto"]["reviewerIds"]); slices.Contains(got, otto) || !slices.Contains(got, s.id["ada"]) {
			t.Errorf("Otto's own access is reviewed by %v: want the admins without him", got)
		}
		ottoTask := s.reviewTask(t, "otto", str(o, "id"))
		for _, who := range []string{"ulf", "uma"} {
			if got := anyStrings(oitems[who]["reviewerIds"]); !slices.Equal(got, []string{otto}) {
				t.Errorf("%s's item in the owners' campaign: reviewers %v", who, got)
			}
			s.must("otto", "POST", opath+"/items/"+str(oitems[who], "id")+":decide", map[string]any{"decision": "KEEP"})
		}
		s.waitTask(t, "otto", str(ottoTask, "id"), "DONE")

		// Closing: Otto's blocked item is not reviewed, Mona's task is cancelled.
		closed := s.must("ada", "POST", path+":close", map[string]any{})
		if p, _ := closed["progress"].(map[string]any); p["notReviewed"] != "1" || p["kept"] != "1" || p["changed"] != "1" {
			t.Errorf("closed %v", closed)
		}
		got := s.waitTask(t, "mona", str(task, "id"), "CANCELLED")
		if h, _ := got["history"].([]any); len(h) < 2 || !strings.Contains(str(h[len(h)-1].(map[string]any), "note"), "closed") {
			t.Errorf("the cancelled task's history %v", got["history"])
		}

		// The export, row by row.
		res, raw := s.do("ada", "GET", path+":export", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("export %d: %s", res.StatusCode, raw)
		}
		rows, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
		if err != nil || len(rows) != 4 {
			t.Fatalf("export: %v, %d rows:\n%s", err, len(rows), raw)
		}
		header := rows[0]
		want := []string{"item_id", "user_id", "user_email", "user_name", "app_id", "app_name", "permission", "grant_time", "reviewer_ids", "status",
			"decision", "new_permission", "decided_by", "decide_time", "justification", "request_id", "request_status", "blocked_reason"}
		if !slices.Equal(header, want) {
			t.Fatalf("header %v", header)
		}
		byUser := map[string]map[string]string{}
		var order []string
		for _, r := range rows[1:] {
			row := map[string]string{}
			for i, h := range header {
				row[h] = r[i]
			}
			order = append(order, row["item_id"])
			byUser[row["user_id"]] = row
		}
		if !sort.StringsAreSorted(order) {
			t.Errorf("rows not in item id order: %v", order)
		}
		wantRows := map[string]map[string]string{
			"ulf": {"user_email": "ulf@demo.grantflow.dev", "user_name": "Ulf Larsen", "permission": "viewer", "status": "DECIDED", "decision": "KEEP",
				"new_permission": "", "decided_by": s.id["mona"], "justification": "still designs", "request_id": "", "request_status": "", "blocked_reason": ""},
			"uma": {"user_email": "uma@demo.grantflow.dev", "user_name": "Uma Chen", "permission": "editor", "status": "DECIDED", "decision": "CHANGE",
				"new_permission": "viewer", "decided_by": s.id["mona"], "justification": "no longer edits", "request_id": change, "request_status": "DONE", "blocked_reason": ""},
			"otto": {"user_email": "otto@demo.grantflow.dev", "user_name": "Otto Berg", "permission": "viewer", "status": "NOT_REVIEWED", "decision": "",
				"new_permission": "", "decided_by": "", "decide_time": "", "justification": "", "request_id": "", "request_status": "", "blocked_reason": ""},
		}
		for who, cells := range wantRows {
			row := byUser[s.id[who]]
			if row == nil {
				t.Errorf("no row for %s", who)
				continue
			}
			cells["item_id"], cells["app_id"], cells["app_name"], cells["reviewer_ids"] = str(item[who], "id"), figma, "Figma", s.id["mona"]
			for k, v := range cells {
				if row[k] != v {
					t.Errorf("%s's row: %s = %q, want %q", who, k, row[k], v)
				}
			}
			if _, err := time.Parse(time.RFC3339, row["grant_time"]); err != nil {
				t.Errorf("%s's row: grant_time %q", who, row["grant_time"])
			}
			if _, err := time.Parse(time.RFC3339, row["decide_time"]); who != "otto" && err != nil {
				t.Errorf("%s's row: decide_time %q", who, row["decide_time"])
			}
		}
	})
}

// grantNow gives who perm on app: the General Manager's request, pushed through by the
// Admin.
func (s *system) grantNow(t *testing.T, who, app, perm string) {
	t.Helper()
	id := s.submitOK(t, "grace", map[string]any{"type": "GRANT_ACCESS", "targetUserId": s.id[who], "appId": app, "permission": perm, "reason": "fixture"})
	s.pushThrough(t, id)
	s.waitRequest(t, id, "DONE")
}

// pushThrough has the Admin approve or complete the pending tasks of request id (one she
// neither made nor is the subject of) until it closes.
func (s *system) pushThrough(t *testing.T, id string) {
	t.Helper()
	waitFor(t, "request "+id+" carried out", func() (bool, string) {
		r := s.must("ada", "GET", "/v1/requests/"+id, nil)
		if r["status"] != "IN_PROGRESS" {
			return true, str(r, "status")
		}
		for _, tk := range objects(s.must("ada", "GET", "/v1/tasks?status=PENDING&requestId="+id, nil), "tasks") {
			verb := "approve"
			if tk["type"] == "ACTION" {
				verb = "complete"
			}
			s.call("ada", "POST", "/v1/tasks/"+str(tk, "id")+":"+verb, map[string]any{})
		}
		return false, str(r, "stage")
	})
}

// itemsByUser lists a campaign's items as person, by the reviewed user's handle.
func (s *system) itemsByUser(t *testing.T, person, path string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, it := range objects(s.must(person, "GET", path+"/items", nil), "items") {
		for h, id := range s.id {
			if id == it["userId"] {
				out[h] = it
			}
		}
	}
	return out
}

// waitItem waits until who's item in the campaign at path has status and blocked reason.
func (s *system) waitItem(t *testing.T, path, who, status, reason string) {
	t.Helper()
	waitFor(t, who+"'s item "+status+" "+reason, func() (bool, string) {
		it := s.itemsByUser(t, "ada", path)[who]
		return it["status"] == status && str(it, "blockedReason") == reason, str(it, "status") + " " + str(it, "blockedReason")
	})
}

// reviewTask waits for person's pending ACCESS_REVIEW task of campaign id.
func (s *system) reviewTask(t *testing.T, person, id string) map[string]any {
	t.Helper()
	var task map[string]any
	waitFor(t, person+"'s review task", func() (bool, string) {
		var seen []string
		for _, tk := range objects(s.must(person, "GET", "/v1/tasks?status=PENDING", nil), "tasks") {
			seen = append(seen, str(tk, "type"))
			if tk["type"] == "ACCESS_REVIEW" && tk["accessReviewId"] == id {
				task = tk
				return true, ""
			}
		}
		return false, strings.Join(seen, ",")
	})
	if !slices.Equal(anyStrings(task["assigneeIds"]), []string{s.id[person]}) {
		t.Errorf("review task assignees %v", task["assigneeIds"])
	}
	return task
}

// waitTask waits until task id has status, as person.
func (s *system) waitTask(t *testing.T, person, id, status string) map[string]any {
	t.Helper()
	var got map[string]any
	waitFor(t, "task "+id+" "+status, func() (bool, string) {
		got = s.must(person, "GET", "/v1/tasks/"+id, nil)
		return got["status"] == status, str(got, "status")
	})
	return got
}
