package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
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
