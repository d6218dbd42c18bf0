package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestManagerChangeMovesReviews: the mover effect (API.md, SCIM "Joiner, mover, leaver"),
// end to end on both engines. Uma's request waits for her manager Mona; an identity
// provider moves Uma to Sam (Entra's manager PATCH, a bare id); the pending manager review
// follows her to Sam (history says why) and Sam gets a task to review Uma's accesses.
// Then an Admin moves her to Ulf with PATCH /v1/users/{id}, and it follows again.
func TestManagerChangeMovesReviews(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		req := s.submitOK(t, "uma", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "viewer", "reason": "mover"})
		task := s.pendingTask(t, req, "mona")

		moved := func(to, how string) {
			t.Helper()
			waitFor(t, "the review moved to "+to+" ("+how+")", func() (bool, string) {
				tk := s.must("ada", "GET", "/v1/tasks/"+task, nil)
				var ids []string
				for _, v := range tk["assigneeIds"].([]any) {
					ids = append(ids, v.(string))
				}
				hist := objects(tk, "history")
				last := hist[len(hist)-1]
				return slices.Equal(ids, []string{s.id[to]}) && str(last, "event") == "reassigned" &&
					strings.Contains(str(last, "note"), "manager of Uma Chen changed") && str(tk, "status") == "PENDING", fmt.Sprint(tk)
			})
			waitFor(t, to+"'s task to review Uma's accesses", func() (bool, string) {
				tasks := s.tasksOf(s.id[to])
				n := 0
				for _, tk := range tasks {
					if str(tk, "type") == "STANDALONE" && strings.HasPrefix(str(tk, "action"), "Review the accesses of Uma Chen") {
						n++
					}
				}
				return n == 1, fmt.Sprint(tasks)
			})
		}

		// Entra: Replace on the enterprise extension's manager, the value a bare id.
		s.scimMust(200, "ada", "PATCH", "/Users/"+s.id["uma"], `{`+scimPatchOp+`,"Operations":[
			{"op":"Replace","path":"`+scimEnterprise+`:manager","value":"`+s.id["sam"]+`"}]}`)
		moved("sam", "SCIM")
		if code, _ := s.call("mona", "POST", "/v1/tasks/"+task+":approve", map[string]any{"justification": "still mine?"}); code != 403 && code != 404 {
			t.Errorf("the previous manager approving the moved review: %d, want refused", code)
		}

		// The REST API: an Admin moves Uma to Ulf.
		s.must("ada", "PATCH", "/v1/users/"+s.id["uma"], map[string]any{"managerId": s.id["ulf"]})
		moved("ulf", "PATCH /v1/users")
		if code, _ := s.call("sam", "GET", "/v1/tasks/"+task, nil); code != 404 {
			t.Errorf("sam still sees the moved review: %d", code)
		}

		// The new manager decides, and the request goes on.
		s.must("ulf", "POST", "/v1/tasks/"+task+":approve", map[string]any{"justification": "ok"})
		// Audit receives the moves asynchronously (the task service's outbox).
		waitFor(t, "two system task.reassigned events of the review in audit", func() (bool, string) {
			audit := s.must("ada", "GET", "/v1/auditEvents?subject=tasks/"+task, nil)
			n := 0
			for _, e := range objects(audit, "auditEvents") {
				if str(e, "action") == "task.reassigned" && str(e, "actorId") == "system" {
					n++
				}
			}
			return n == 2, fmt.Sprintf("%d: %v", n, audit)
		})
	})
}
