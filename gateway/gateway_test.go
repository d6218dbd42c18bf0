package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeAudit streams the events it holds, then fails with failAfter's error if set; fail
// refuses the export before the first event.
type fakeAudit struct {
	auditv1.UnimplementedAuditServiceServer
	events    []*auditv1.AuditEvent
	fail      error
	failAfter error
}

func (f *fakeAudit) ExportAuditEvents(_ *auditv1.ExportAuditEventsRequest, stream grpc.ServerStreamingServer[auditv1.AuditEvent]) error {
	if f.fail != nil {
		return f.fail
	}
	for _, e := range f.events {
		if err := stream.Send(e); err != nil {
			return err
		}
	}
	return f.failAfter
}

func (f *fakeAudit) ListAuditEvents(context.Context, *auditv1.ListAuditEventsRequest) (*auditv1.ListAuditEventsResponse, error) {
	return &auditv1.ListAuditEventsResponse{AuditEvents: f.events}, nil
}

type fakeTask struct {
	taskv1.UnimplementedTaskServiceServer
}

func (fakeTask) ListTasks(context.Context, *taskv1.ListTasksRequest) (*taskv1.ListTasksResponse, error) {
	return &taskv1.ListTasksResponse{Tasks: []*taskv1.Task{{Id: "t1"}}}, nil
}

// newGateway serves the gateway in front of fake task and audit services, and
// authenticates the credential "good" only.
func newGateway(t *testing.T, audit *fakeAudit, ready map[string]func(context.Context) error) *httptest.Server {
	t.Helper()
	return newGatewayWith(t, audit, ready, nil)
}

// newGatewayWith is newGateway with more options set by more (nil: none).
func newGatewayWith(t *testing.T, audit *fakeAudit, ready map[string]func(context.Context) error, more func(*Options)) *httptest.Server {
	t.Helper()
	srv := grpc.NewServer()
	auditv1.RegisterAuditServiceServer(srv, audit)
	taskv1.RegisterTaskServiceServer(srv, fakeTask{})
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.AuthenticatorFunc(func(_ context.Context, cred string) (auth.Principal, error) {
		if cred != "good" {
			return auth.Principal{}, errs.Unauthenticated("unknown credential")
		}
		return auth.Principal{UserID: "u1"}, nil
	})
	o := Options{
		Logger: slog.New(slog.DiscardHandler), Authenticator: authn,
		Backends: Backends{Task: conn, Audit: conn}, Ready: ready,
	}
	if more != nil {
		more(&o)
	}
	h, err := New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(func() { hs.Close(); conn.Close(); srv.Stop() })
	return hs
}

func get(t *testing.T, hs *httptest.Server, path, credential string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, hs.URL+path, nil)
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	res, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func lines(t *testing.T, body string) []map[string]json.RawMessage {
	t.Helper()
	var out []map[string]json.RawMessage
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		var line map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		out = append(out, line)
	}
	return out
}

func events(ids ...string) []*auditv1.AuditEvent {
	out := make([]*auditv1.AuditEvent, len(ids))
	for i, id := range ids {
		out[i] = &auditv1.AuditEvent{Id: id, Seq: int64(i + 1), Action: "task.created"}
	}
	return out
}

func TestExportIsJSONLines(t *testing.T) {
	hs := newGateway(t, &fakeAudit{events: events("e1", "e2", "e3")}, nil)
	res, body := get(t, hs, "/v1/auditEvents:export", "good")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != ExportContentType {
		t.Fatalf("export: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	got := lines(t, body)
	if len(got) != 3 {
		t.Fatalf("%d lines, want 3: %s", len(got), body)
	}
	for i, line := range got {
		var ev struct{ ID, Seq, Action string }
		if err := json.Unmarshal(line["result"], &ev); err != nil || ev.ID != events("e1", "e2", "e3")[i].GetId() || ev.Seq == "" {
			t.Errorf("line %d: %s (%v)", i+1, line["result"], err)
		}
	}
}

func TestExportOfAnEmptyLog(t *testing.T) {
	hs := newGateway(t, &fakeAudit{}, nil)
	if res, body := get(t, hs, "/v1/auditEvents:export", "good"); res.StatusCode != 200 || body != "" {
		t.Fatalf("empty export: %d %q", res.StatusCode, body)
	}
}

// A refusal before the first event is an ordinary error response: its HTTP code and the
// {code, message, details} body of every other call.
func TestExportRefusedIsAnOrdinaryError(t *testing.T) {
	hs := newGateway(t, &fakeAudit{fail: status.Error(codes.PermissionDenied, "not allowed: only Admin and General Manager")}, nil)
	res, body := get(t, hs, "/v1/auditEvents:export", "good")
	var e struct {
		Code    int
		Message string
		Details []any
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || res.StatusCode != 403 || e.Code != int(codes.PermissionDenied) || e.Message == "" || e.Details == nil {
		t.Fatalf("refused export: %d %s (%v)", res.StatusCode, body, err)
	}
	if res, _ := get(t, hs, "/v1/auditEvents:export", ""); res.StatusCode != 401 {
		t.Fatalf("export without credentials: %d", res.StatusCode)
	}
	if res, _ := get(t, hs, "/v1/auditEvents:export", "bad"); res.StatusCode != 401 {
		t.Fatalf("export with a bad credential: %d", res.StatusCode)
	}
}

// A failure after events were sent cannot change the status any more: it is the last line.
func TestExportFailingMidwayEndsWithAnErrorLine(t *testing.T) {
	hs := newGateway(t, &fakeAudit{events: events("e1", "e2"), failAfter: status.Error(codes.Unavailable, "store down")}, nil)
	res, body := get(t, hs, "/v1/auditEvents:export", "good")
	got := lines(t, body)
	if res.StatusCode != 200 || len(got) != 3 || got[0]["result"] == nil || got[1]["result"] == nil {
		t.Fatalf("export failing midway: %d %s", res.StatusCode, body)
	}
	var e struct {
		Code    int
		Message string
	}
	if err := json.Unmarshal(got[2]["error"], &e); err != nil || e.Code != int(codes.Unavailable) || e.Message != "store down" {
		t.Fatalf("last line %s (%v)", got[2]["error"], err)
	}
}

func TestTaskAndAuditRoutes(t *testing.T) {
	hs := newGateway(t, &fakeAudit{events: events("e1")}, nil)
	for path, want := range map[string]string{"/v1/tasks": `"t1"`, "/v1/auditEvents": `"e1"`} {
		res, body := get(t, hs, path, "good")
		if res.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %s", path, res.StatusCode, body)
		}
	}
	// Identity and policy have no backend here: their routes are left out.
	if res, _ := get(t, hs, "/v1/policies", "good"); res.StatusCode != 404 {
		t.Errorf("GET /v1/policies without a policy backend: %d", res.StatusCode)
	}
}

// TestReadyzChecksEveryBackend: /readyz names the dependency that fails ("unavailable"),
// without its error text (addresses, users) to the public.
func TestReadyzChecksEveryBackend(t *testing.T) {
	down := errors.New("dial tcp 10.0.0.7:5432: connection refused (user grantflow)")
	hs := newGateway(t, &fakeAudit{}, map[string]func(context.Context) error{
		"task":  func(context.Context) error { return nil },
		"audit": func(context.Context) error { return down },
	})
	res, body := get(t, hs, "/readyz", "")
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil || res.StatusCode != 503 || got["task"] != "ok" || got["audit"] != "unavailable" || strings.Contains(body, "10.0.0.7") {
		t.Fatalf("readyz with audit down: %d %s", res.StatusCode, body)
	}
	hs = newGateway(t, &fakeAudit{}, map[string]func(context.Context) error{"task": func(context.Context) error { return nil }})
	if res, body := get(t, hs, "/readyz", ""); res.StatusCode != 200 {
		t.Fatalf("readyz: %d %s", res.StatusCode, body)
	}
}
