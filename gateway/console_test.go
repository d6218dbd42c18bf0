package gateway

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/grantflow/grantflow/gen"
)

func consoleMux(t *testing.T, demo *ConsoleDemo) *http.ServeMux {
	t.Helper()
	mux := http.NewServeMux()
	if err := mountConsole(mux, demo); err != nil {
		t.Fatal(err)
	}
	return mux
}

func serve(mux http.Handler, path string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

// TestConsoleServing: / redirects to the console; every page path answers the application's
// document under a CSP without inline script; assets are served, unknown ones are 404.
func TestConsoleServing(t *testing.T) {
	mux := consoleMux(t, nil)
	if rec := serve(mux, "/"); rec.Code != http.StatusFound || rec.Header().Get("Location") != ConsolePath {
		t.Fatalf("GET /: %d to %q, want 302 to %s", rec.Code, rec.Header().Get("Location"), ConsolePath)
	}
	for _, path := range []string{"/console/", "/console/inbox", "/console/requests/r-1", "/console/policies?requestType=GRANT_ACCESS", "/console/reviews?campaign=c-1", "/console/oidc/callback?code=c&state=s"} {
		rec := serve(mux, path)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<div id="app">`) {
			t.Fatalf("GET %s: %d, not the console's document", path, rec.Code)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	page := serve(mux, "/console/").Body.String()
	// Every script is a file of this origin: no inline script, nothing from elsewhere.
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(tag, `src="/console/assets/`) {
			t.Errorf("script tag %s is not one of the console's files", tag)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("the console's document names another origin")
	}
	assets, err := fs.Glob(consoleFiles, "console/assets/*.js")
	if err != nil || len(assets) == 0 {
		t.Fatalf("no built script embedded (%v): run make web", err)
	}
	name := strings.TrimPrefix(assets[0], "console")
	rec := serve(mux, "/console"+name)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || !strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
		t.Errorf("GET %s: %d %v", name, rec.Code, rec.Header())
	}
	for _, path := range []string{"/console/assets/nothing.js", "/console/nothing.png"} {
		if rec := serve(mux, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, rec.Code)
		}
	}
}

// TestConsoleDemoPeople: the sign-in shortcut is offered only once a demo was seeded.
func TestConsoleDemoPeople(t *testing.T) {
	if rec := serve(consoleMux(t, nil), "/console/demo-people.json"); rec.Code != http.StatusNotFound {
		t.Fatalf("without a demo: %d, want 404", rec.Code)
	}
	demo := &ConsoleDemo{}
	mux := consoleMux(t, demo)
	if rec := serve(mux, "/console/demo-people.json"); rec.Code != http.StatusNotFound {
		t.Fatalf("before seeding: %d, want 404", rec.Code)
	}
	demo.Set([]DemoPerson{{Handle: "uma", Name: "Uma Chen", Role: "USER", Key: "gf_k"}})
	rec := serve(mux, "/console/demo-people.json")
	var body struct{ People []DemoPerson }
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil || len(body.People) != 1 || body.People[0].Key != "gf_k" {
		t.Fatalf("after seeding: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("the demo's keys may be cached: %q", rec.Header().Get("Cache-Control"))
	}
}

// TestOpenAPI3: the published document is OpenAPI 3 with what a generator and Redocly's
// recommended rules need: a summary on every operation, servers, the bearer scheme, and the
// contract's error responses with the {code, message, details} body.
func TestOpenAPI3(t *testing.T) {
	out, err := OpenAPI3(gen.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Servers    []struct{ URL string }                `json:"servers"`
		Security   []map[string][]string                 `json:"security"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			SecuritySchemes map[string]struct{ Type, Scheme string } `json:"securitySchemes"`
			Responses       map[string]json.RawMessage               `json:"responses"`
			Schemas         map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Servers) == 0 || len(doc.Security) == 0 {
		t.Fatalf("openapi %q, servers %v, security %v", doc.OpenAPI, doc.Servers, doc.Security)
	}
	if s := doc.Components.SecuritySchemes["Bearer"]; s.Type != "http" || s.Scheme != "bearer" {
		t.Errorf("bearer scheme: %+v", s)
	}
	for _, f := range []string{"code", "message", "details"} {
		if _, ok := doc.Components.Schemas[errorSchema].Properties[f]; !ok {
			t.Errorf("the error body lacks %s", f)
		}
	}
	n := 0
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Summary   string                     `json:"summary"`
				Responses map[string]json.RawMessage `json:"responses"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			n++
			if op.Summary == "" || strings.Contains(op.Summary, "\n") {
				t.Errorf("%s %s: summary %q", method, path, op.Summary)
			}
			for _, code := range []string{"200", "400", "401", "403", "404", "409"} {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s %s: no %s response", method, path, code)
				}
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d operations", n)
	}
	again, _ := OpenAPI3(gen.OpenAPI)
	if !bytes.Equal(out, again) {
		t.Error("the conversion is not deterministic")
	}
}

// TestConsoleClientIsGeneratedFromServedDocument: web/openapi.json, which the console's
// typed client is generated from, is the document /openapi.json serves (make web).
func TestConsoleClientIsGeneratedFromServedDocument(t *testing.T) {
	committed, err := os.ReadFile("../web/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, err := OpenAPI3(gen.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, served) {
		t.Fatal("web/openapi.json differs from the served document: run make web and commit")
	}
}
