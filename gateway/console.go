package gateway

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

// The web console: the single-page application built from web/ (make web) into
// gateway/console/, committed and embedded, so running the gateway needs no Node. It uses
// only the public REST API; what it asks these handlers for is the demo's people, for the
// sign-in shortcut, only when a demo organization was seeded in this process, and the OIDC
// sign-in's configuration and its two steps at the issuer (consoleoidc.go).

// ConsolePath is where the console is served; GET / redirects there.
const ConsolePath = "/console/"

//go:embed console
var consoleFiles embed.FS

// consoleCSP lets the console load its own script, styles and images and call this origin's
// API, and nothing else: no inline script, no third party, no framing.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// DemoPerson is a person of the demo organization as the console's sign-in shortcut lists them.
type DemoPerson struct {
	Handle string `json:"handle"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	Note   string `json:"note"`
	Key    string `json:"key"`
}

// ConsoleDemo holds the demo organization's people once it is seeded (the all-in-one
// process seeds it after the gateway is serving). Empty, the shortcut is not offered.
type ConsoleDemo struct {
	mu     sync.RWMutex
	people []DemoPerson
}

// Set publishes the demo's people to the console's sign-in page.
func (d *ConsoleDemo) Set(people []DemoPerson) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.people = append([]DemoPerson(nil), people...)
}

func (d *ConsoleDemo) get() []DemoPerson {
	if d == nil {
		return nil
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.people
}

// mountConsole serves the console under ConsolePath and redirects / there.
func mountConsole(mux *http.ServeMux, demo *ConsoleDemo) error {
	files, err := fs.Sub(consoleFiles, "console")
	if err != nil {
		return err
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return err
	}
	static := http.FileServerFS(files)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ConsolePath, http.StatusFound)
	})
	mux.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, ConsolePath, http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET "+ConsolePath+"demo-people.json", func(w http.ResponseWriter, _ *http.Request) {
		consoleHeaders(w)
		w.Header().Set("Cache-Control", "no-store")
		people := demo.get()
		if len(people) == 0 {
			writeJSON(w, http.StatusNotFound, map[string]any{"code": 5, "message": "no demo organization was seeded in this process", "details": []any{}})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"people": people})
	})
	mux.HandleFunc("GET "+ConsolePath, func(w http.ResponseWriter, r *http.Request) {
		consoleHeaders(w)
		name := strings.TrimPrefix(path.Clean(r.URL.Path), strings.TrimSuffix(ConsolePath, "/"))
		name = strings.TrimPrefix(name, "/")
		if name != "" && name != "index.html" {
			if st, err := fs.Stat(files, name); err == nil && !st.IsDir() {
				if strings.HasPrefix(name, "assets/") {
					// Vite names built assets by their content's hash.
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				r2 := r.Clone(r.Context())
				r2.URL.Path = "/" + name
				static.ServeHTTP(w, r2)
				return
			}
			if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
				http.NotFound(w, r)
				return
			}
		}
		// Every other path is one of the application's pages: the same document, whose
		// script reads the path and the query.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(index)
	})
	return nil
}

func consoleHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", consoleCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}
