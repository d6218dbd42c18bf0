package gateway

import (
	"strings"
	"testing"

	"github.com/grantflow/grantflow/gen"
)

// TestAPIDocsPageListsEveryOperation: the reference page names every path and method of
// the OpenAPI document, and fetches nothing from elsewhere.
func TestAPIDocsPageListsEveryOperation(t *testing.T) {
	page, err := renderAPIDocs(gen.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{`<span class="path">/v1/requests/{id}:cancel</span>`, `<span class="m POST">POST</span>`,
		`id="def-v1Request"`, `<code>IN_PROGRESS</code>`, `/v1/tasks/{id}:approve`, `/v1/policies:resolve`, `/v1/auditEvents:verify`} {
		if !strings.Contains(html, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, banned := range []string{"<script", "http://", "https://"} {
		if strings.Contains(html, banned) {
			t.Errorf("the page contains %q: it must work offline", banned)
		}
	}
	if n := strings.Count(html, `class="op" id="`); n < 60 {
		t.Errorf("only %d operations and types on the page", n)
	}
}
