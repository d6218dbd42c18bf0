package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/services/audit/internal/offline"
)

// restGet calls the REST edge (grpc-gateway in front of the harness) as person.
func restGet(t *testing.T, srv *httptest.Server, person, path string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer key-"+person)
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, res.Status, body)
	}
	return body
}

// The whole auditor's path over REST: export as JSON lines, fetch the public key and the
// checkpoints, verify offline; then a changed line is caught.
func TestRESTExportVerifiesOffline(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for i := range 30 {
		h.mustDeliver(event("ev-"+strings.Repeat("x", i%3)+string(rune('a'+i)), func(e *eventsv1.Event) {
			e.ActorId = []string{"uma", "ulf", "admin"}[i%3]
			e.Payload = &eventsv1.Event_TaskChanged{TaskChanged: &eventsv1.TaskChanged{
				StepTaskCount: int32(i%10) + 1, Note: "\u2028", AssigneeIds: []string{"b", "a"}, PolicyVersion: int64(i),
			}}
		}))
		if (i+1)%10 == 0 {
			if _, err := h.svc.Checkpoint(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	mux := runtime.NewServeMux()
	if err := auditv1.RegisterAuditServiceHandler(context.Background(), mux, h.conn); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	export := restGet(t, srv, "admin", "/v1/auditEvents:export")
	var keyJSON struct{ Algorithm, KeyID, PublicKey string }
	if err := json.Unmarshal(restGet(t, srv, "uma", "/v1/auditEvents:publicKey"), &keyJSON); err != nil {
		t.Fatal(err)
	}
	cps, err := offline.ParseCheckpoints(restGet(t, srv, "admin", "/v1/auditCheckpoints"))
	if err != nil || len(cps) != 3 {
		t.Fatalf("checkpoints: %v %v", cps, err)
	}
	pub, err := offline.ParsePublicKey(keyJSON.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(export)), "\n")
	eq(t, "export lines", len(lines), 30)
	if !strings.HasPrefix(lines[0], `{"result":`) {
		t.Fatalf("export line is not grpc-gateway's stream form: %s", lines[0])
	}
	rep, err := offline.VerifyExport(bytes.NewReader(export), pub, cps)
	if err != nil || !rep.OK || rep.VerifiedThrough != 30 || rep.CheckpointsChecked != 3 {
		t.Fatalf("offline verification: %+v %v", rep, err)
	}

	// Change one field of event 17 in the export: the auditor sees it.
	var line map[string]map[string]any
	if err := json.Unmarshal([]byte(lines[16]), &line); err != nil {
		t.Fatal(err)
	}
	line["result"]["actorId"] = "mallory"
	changed, _ := json.Marshal(line)
	lines[16] = string(changed)
	rep, err = offline.VerifyExport(strings.NewReader(strings.Join(lines, "\n")), pub, cps)
	if err != nil || rep.OK || rep.FirstBadSeq != 17 {
		t.Fatalf("a changed export verified: %+v %v", rep, err)
	}

	// The query's REST form: camelCase parameters, RFC 3339 times.
	q := url.Values{"actorId": {"uma"}, "since": {t0.Format(time.RFC3339)}, "pageSize": {"4"}}
	var page struct {
		AuditEvents   []map[string]any
		NextPageToken string
	}
	if err := json.Unmarshal(restGet(t, srv, "gm", "/v1/auditEvents?"+q.Encode()), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.AuditEvents) != 4 || page.NextPageToken == "" || page.AuditEvents[0]["actorId"] != "uma" || page.AuditEvents[0]["seq"] != "1" {
		t.Fatalf("REST list: %+v", page)
	}
	if data, ok := page.AuditEvents[0]["data"].(map[string]any); !ok || data["stepTaskCount"] != 1.0 {
		t.Fatalf("data is not rendered as a JSON object: %v", page.AuditEvents[0]["data"])
	}
	// Each export line is one JSON object.
	sc := bufio.NewScanner(bytes.NewReader(export))
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("not JSON: %s", sc.Text())
		}
	}
}
