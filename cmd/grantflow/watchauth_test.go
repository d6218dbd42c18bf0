package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

// TestWatchOverRESTEndsWhenOffboarded: a REST watch is authenticated while it lasts. Uma
// watches her inbox and her request; an Admin offboards her; both watches end with an error
// line of code UNAUTHENTICATED (16), as the gateway (which holds her key: the service
// behind sees its internal token) finds her key refused; a new watch of hers is 401.
func TestWatchOverRESTEndsWhenOffboarded(t *testing.T) {
	for _, engine := range []string{"memory", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			o := systemOptions{streamRecheck: servicetest.StreamRecheck}
			if engine == "postgres" {
				o.postgresURL = pgtest.NewEmptyDatabase(t)
			}
			s := startSystem(t, o)
			ctx, cancel := context.WithTimeout(context.Background(), servicetest.Hang) // bounds a hang only
			defer cancel()
			req := s.must("uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "editor"})
			open := func(path string) *bufio.Scanner {
				t.Helper()
				r, err := http.NewRequestWithContext(ctx, "GET", s.base+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				r.Header.Set("Authorization", "Bearer "+s.key["uma"])
				res, err := s.client.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { res.Body.Close() })
				if res.StatusCode != 200 {
					t.Fatalf("watch %s: %d", path, res.StatusCode)
				}
				sc := bufio.NewScanner(res.Body)
				sc.Buffer(make([]byte, 1<<16), 1<<20)
				if !sc.Scan() { // the first line: the watch is open
					t.Fatalf("watch %s ended at once: %v", path, sc.Err())
				}
				return sc
			}
			watches := map[string]*bufio.Scanner{
				"inbox":   open("/v1/tasks:watch"),
				"request": open("/v1/requests/" + str(req, "id") + ":watch"),
			}
			s.must("ada", "POST", "/v1/users/"+s.id["uma"]+":offboard", map[string]any{})
			for what, sc := range watches {
				code := -1
				for code < 0 && sc.Scan() { // changes may come first (her tasks reassigned)
					var line struct {
						Error *struct {
							Code int `json:"code"`
						} `json:"error"`
					}
					if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
						t.Fatalf("%s watch line %q: %v", what, sc.Text(), err)
					}
					if line.Error != nil {
						code = line.Error.Code
					}
				}
				if code != 16 {
					t.Fatalf("%s watch after uma's offboarding: ended with code %d (%v), want an error line of code 16 (UNAUTHENTICATED)", what, code, sc.Err())
				}
			}
			if code, body := s.call("uma", "GET", "/v1/tasks:watch", nil); code != 401 {
				t.Fatalf("a new watch of uma's: %d %v, want 401", code, body)
			}
		})
	}
}
