package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestWatchRequestOverREST: GET /v1/requests/{id}:watch streams every change of the request
// as JSON lines ({"result": RequestChange}), versions one after the other from afterVersion
// on, and ends once the request is closed; a stranger gets 404.
func TestWatchRequestOverREST(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		req := s.must("uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "editor"})
		id := str(req, "id")
		s.must("uma", "POST", "/v1/requests/"+id+":cancel", map[string]any{"reason": "changed my mind"})
		final := s.must("uma", "GET", "/v1/requests/"+id, nil)
		last, err := strconv.ParseInt(str(final, "version"), 10, 64)
		if err != nil || final["status"] != "CANCELLED" {
			t.Fatalf("the request after cancel: %v (%v)", final, err)
		}
		for _, after := range []int64{0, 1} {
			res, raw := s.do("uma", "GET", "/v1/requests/"+id+":watch?afterVersion="+strconv.FormatInt(after, 10), nil)
			if res.StatusCode != 200 {
				t.Fatalf("watch: %d %s", res.StatusCode, raw)
			}
			want := after + 1
			sc := bufio.NewScanner(bytes.NewReader(raw))
			sc.Buffer(make([]byte, 1<<16), 1<<20)
			var status string
			for sc.Scan() {
				var line struct {
					Result *struct {
						Version string         `json:"version"`
						Request map[string]any `json:"request"`
					} `json:"result"`
				}
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Result == nil {
					t.Fatalf("watch line %q: %v", sc.Text(), err)
				}
				if line.Result.Version != strconv.FormatInt(want, 10) || str(line.Result.Request, "version") != line.Result.Version {
					t.Fatalf("watch after %d: version %s (request %s), want %d", after, line.Result.Version, str(line.Result.Request, "version"), want)
				}
				status = str(line.Result.Request, "status")
				want++
			}
			if want-1 != last || status != "CANCELLED" {
				t.Fatalf("watch after %d ended at version %d (%s), want %d CANCELLED", after, want-1, status, last)
			}
		}
		if code, body := s.call("sara", "GET", "/v1/requests/"+id+":watch", nil); code != 404 {
			t.Errorf("a stranger's watch: %d %v", code, body)
		}
	})
}

// TestWatchTasksOverREST: GET /v1/tasks:watch streams an inbox's changes as JSON lines
// ({"result": TaskChange}): from now, the cursor alone at once, then each change as it
// commits (the manager's task opening for Mona, then its approval); resumed from a cursor,
// the changes after it; nothing of the owner's task in the manager's inbox. A bad cursor is
// 400 naming after; someone else's inbox is 403; no credentials 401.
func TestWatchTasksOverREST(t *testing.T) {
	forEachEngine(t, func(t *testing.T, s *system) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second) // bounds a hang only
		defer cancel()
		open := func(person, query string) (*bufio.Scanner, func()) {
			t.Helper()
			wctx, stop := context.WithCancel(ctx)
			req, err := http.NewRequestWithContext(wctx, "GET", s.base+"/v1/tasks:watch"+query, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+s.key[person])
			res, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != 200 {
				b, _ := io.ReadAll(res.Body)
				t.Fatalf("watch %s: %d %s", query, res.StatusCode, b)
			}
			sc := bufio.NewScanner(res.Body)
			sc.Buffer(make([]byte, 1<<16), 1<<20)
			return sc, func() { stop(); res.Body.Close() }
		}
		type change struct {
			Cursor        string         `json:"cursor"`
			Task          map[string]any `json:"task"`
			RemovedTaskID string         `json:"removedTaskId"`
		}
		read := func(sc *bufio.Scanner) change {
			t.Helper()
			if !sc.Scan() {
				t.Fatalf("watch ended: %v", sc.Err())
			}
			var line struct {
				Result *change `json:"result"`
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Result == nil {
				t.Fatalf("watch line %q: %v", sc.Text(), err)
			}
			return *line.Result
		}
		sc, stop := open("mona", "")
		first := read(sc)
		if first.Cursor == "" || first.Task != nil {
			t.Fatalf("first line of a watch from now: %+v, want the cursor alone", first)
		}
		req := s.must("uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "editor"})
		id := str(req, "id")
		opened := read(sc)
		for str(opened.Task, "requestId") != id { // (the demo's access review may give her a task too)
			if opened.Task == nil && opened.RemovedTaskID == "" {
				t.Fatalf("a change without a task: %+v", opened)
			}
			opened = read(sc)
		}
		if str(opened.Task, "status") != "PENDING" {
			t.Fatalf("after the submit Mona's watch sent %+v", opened)
		}
		stop()
		s.must("mona", "POST", "/v1/tasks/"+str(opened.Task, "id")+":approve", map[string]any{"justification": "ok"})
		sc, stop = open("mona", "?after="+opened.Cursor+"&requestId="+id)
		defer stop()
		approved := read(sc)
		if str(approved.Task, "id") != str(opened.Task, "id") || str(approved.Task, "status") != "DONE" {
			t.Fatalf("resumed after %s: %+v, want Mona's task DONE", opened.Cursor, approved)
		}
		assignees, _ := opened.Task["assigneeIds"].([]any)
		if len(assignees) != 1 {
			t.Fatalf("Mona's task is assigned to %v", assignees)
		}
		mona, _ := assignees[0].(string)
		// Each of these answers at once (a watch that streamed would hang the call); a
		// stream's error comes as {"error": Status} with the HTTP status of its code.
		for _, c := range []struct {
			name, person, query string
			want                int
			body                string
		}{
			{"a bad cursor", "mona", "?after=x", 400, `"field":"after"`},
			{"someone else's inbox", "sara", "?assigneeId=" + mona, 403, "PERMISSION_DENIED"},
			{"no credentials", "", "", 401, ""},
		} {
			res, raw := s.do(c.person, "GET", "/v1/tasks:watch"+c.query, nil)
			if res.StatusCode != c.want || !bytes.Contains(raw, []byte(c.body)) {
				t.Errorf("%s: %d %s, want %d with %s", c.name, res.StatusCode, raw, c.want, c.body)
			}
		}
	})
}
