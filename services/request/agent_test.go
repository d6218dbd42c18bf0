package request_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/request/internal/connector"
)

const webhookSecret = "webhook-secret-for-tests-0123456789"

// agentPolicy makes the system agent carry out grants on app, with no review.
func (h *harness) agentPolicy(app string) {
	h.policy(app+" by the agent", typev1.RequestType_GRANT_ACCESS, &policyv1.Scope{AppId: h.apps[app]}, nil,
		stepOf("The agent provisions", typev1.AssigneeKind_AGENT, typev1.Approval_APPROVAL_UNSPECIFIED, 0))
}

// actionTask returns the action task of a request.
func (h *harness) actionTask(id string) *taskv1.Task {
	h.t.Helper()
	for _, tk := range h.tasksOf(id) {
		if tk.GetType() == taskv1.Task_ACTION {
			return tk
		}
	}
	h.t.Fatalf("request %s has no action task", id)
	return nil
}

// TestAgentDirectoryConnector: an AGENT action on an app without a webhook is carried out
// by the engine: the task completes itself and the access is recorded in identity.
func TestAgentDirectoryConnector(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		h.agentPolicy("Vault")
		r := h.submit("uma", h.grant("", "Vault", "read"))
		h.waitStatus(r.GetId(), requestv1.Request_DONE)
		if got := h.access("uma", "Vault"); got != "read" {
			t.Errorf("access %q, want read", got)
		}
		tk := h.actionTask(r.GetId())
		if tk.GetStatus() != taskv1.Task_DONE || len(tk.GetAssigneeIds()) != 0 || !strings.Contains(tk.GetJustification(), "directory") {
			t.Errorf("agent's task: %v assignees %v note %q", tk.GetStatus(), tk.GetAssigneeIds(), tk.GetJustification())
		}
	})
}

// webhookServer records the signed deliveries it accepts; failing makes it answer 503.
type webhookServer struct {
	mu       sync.Mutex
	failing  bool
	attempts int
	bodies   []connector.Action
	badSigs  int
	secret   []byte // the signing key; nil: webhookSecret's bytes
}

func (w *webhookServer) key() []byte {
	if w.secret != nil {
		return w.secret
	}
	return []byte(webhookSecret)
}

func (w *webhookServer) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.attempts++
	if stdwebhook.Verify(w.key(), r.Header, body, time.Now(), 0) != nil {
		w.badSigs++
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	if w.failing {
		rw.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var a connector.Action
	_ = json.Unmarshal(body, &a)
	if r.Header.Get(stdwebhook.HeaderID) != a.TaskID {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	w.bodies = append(w.bodies, a)
	rw.WriteHeader(http.StatusNoContent)
}

func webhookHarness(t *testing.T, postgres bool, hook *webhookServer) *harness {
	srv := httptest.NewServer(hook)
	t.Cleanup(srv.Close)
	env := map[string]string{
		// A query carrying a credential: it must never reach a task's history or audit.
		"GRANTFLOW_AGENT_WEBHOOKS":          "Figma=" + srv.URL + "/hook?token=s3cr3t-token",
		"GRANTFLOW_AGENT_WEBHOOK_SECRET":    webhookSecret,
		"GRANTFLOW_AGENT_WEBHOOK_MAX_TRIES": "3",
	}
	return newHarness(t, harnessOptions{postgres: postgres, getenv: func(k string) string { return env[k] }})
}

// TestAgentWebhookConnector: the webhook receives the signed action and the request is
// DONE; a webhook that keeps failing hands the task to the app's owners, saying why.
func TestAgentWebhookConnector(t *testing.T) {
	for _, engine := range []string{"memory", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			hook := &webhookServer{}
			h := webhookHarness(t, engine == "postgres", hook)
			h.agentPolicy("Figma")
			r := h.submit("uma", h.grant("", "Figma", "editor"))
			h.waitStatus(r.GetId(), requestv1.Request_DONE)
			if got := h.access("uma", "Figma"); got != "editor" {
				t.Errorf("access %q", got)
			}
			hook.mu.Lock()
			bodies, bad := slices.Clone(hook.bodies), hook.badSigs
			hook.mu.Unlock()
			if bad != 0 || len(bodies) == 0 {
				t.Fatalf("webhook: %d accepted, %d bad signatures", len(bodies), bad)
			}
			if b := bodies[0]; b.RequestID != r.GetId() || b.UserID != h.ids["uma"] || b.AppName != "Figma" || b.Permission != "editor" || b.Type != "GRANT_ACCESS" {
				t.Errorf("webhook body: %+v", b)
			}

			// Now the webhook fails: after its tries the owner gets the task.
			hook.mu.Lock()
			hook.failing = true
			hook.mu.Unlock()
			r2 := h.submit("ulf", h.grant("", "Figma", "viewer"))
			handed := waitTask(t, h, "otto", func(tk *taskv1.Task) bool { return tk.GetRequestId() == r2.GetId() })
			last := handed.GetHistory()[len(handed.GetHistory())-1]
			if last.GetEvent() != "reassigned" || !strings.Contains(last.GetNote(), "webhook") {
				t.Errorf("hand-off history: %v", last)
			}
			if strings.Contains(last.GetNote(), "s3cr3t-token") || strings.Contains(last.GetNote(), "?token") {
				t.Errorf("the connector URL's query is in the task's history: %q", last.GetNote())
			}
			hook.mu.Lock()
			attempts := hook.attempts - len(bodies)
			hook.mu.Unlock()
			if attempts != 3 {
				t.Errorf("webhook tried %d times, want 3", attempts)
			}
			h.complete("otto", handed.GetId())
			h.waitStatus(r2.GetId(), requestv1.Request_DONE)
			if got := h.access("ulf", "Figma"); got != "viewer" {
				t.Errorf("access after the manual action: %q", got)
			}
		})
	}
}

// TestAgentAppConnector: the connector an app's owner sets up through the API
// (PUT /v1/apps/{id}/connector) is used by the system agent at once, without a restart and
// without GRANTFLOW_AGENT_WEBHOOKS, signed with the secret the owner was shown once;
// after DELETE the agent records the change in the directory only. A failure's note in the
// task's history and audit never carries the URL's query.
func TestAgentAppConnector(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		hook := &webhookServer{}
		srv := httptest.NewServer(hook)
		t.Cleanup(srv.Close)
		h.agentPolicy("Figma")

		res, err := h.id.SetAppConnector(h.as("otto"), &identityv1.SetAppConnectorRequest{AppId: h.apps["Figma"], Url: srv.URL + "/provision?token=s3cr3t-token"})
		if err != nil {
			t.Fatal(err)
		}
		key, err := stdwebhook.ParseSecret(res.GetSecret())
		if err != nil || !res.GetConnector().GetHasSecret() {
			t.Fatalf("the generated secret %q: %v", res.GetSecret(), err)
		}
		hook.mu.Lock()
		hook.secret = key
		hook.mu.Unlock()

		r := h.submit("uma", h.grant("", "Figma", "editor"))
		h.waitStatus(r.GetId(), requestv1.Request_DONE)
		hook.mu.Lock()
		n, bad := len(hook.bodies), hook.badSigs
		hook.mu.Unlock()
		if n != 1 || bad != 0 {
			t.Fatalf("the app's connector got %d signed actions, %d badly signed; want 1, 0", n, bad)
		}

		// Failing: the task goes to the owner, and the URL's query is nowhere.
		hook.mu.Lock()
		hook.failing = true
		hook.mu.Unlock()
		r2 := h.submit("ulf", h.grant("", "Figma", "viewer"))
		handed := waitTask(t, h, "otto", func(tk *taskv1.Task) bool { return tk.GetRequestId() == r2.GetId() })
		for _, e := range handed.GetHistory() {
			if strings.Contains(e.GetNote(), "s3cr3t-token") {
				t.Errorf("history carries the URL's query: %q", e.GetNote())
			}
		}
		for _, e := range h.audit.Events() {
			if raw, _ := protojson.Marshal(e); strings.Contains(string(raw), "s3cr3t-token") {
				t.Errorf("audit event %s carries the URL's query", e.GetAction())
			}
		}
		h.complete("otto", handed.GetId())
		h.waitStatus(r2.GetId(), requestv1.Request_DONE)

		// Removed: the directory connector carries the next action out.
		if _, err := h.id.DeleteAppConnector(h.as("otto"), &identityv1.DeleteAppConnectorRequest{AppId: h.apps["Figma"]}); err != nil {
			t.Fatal(err)
		}
		hook.mu.Lock()
		before := hook.attempts
		hook.mu.Unlock()
		r3 := h.submit("vera", h.grant("", "Figma", "viewer"))
		h.waitStatus(r3.GetId(), requestv1.Request_DONE)
		hook.mu.Lock()
		after := hook.attempts
		hook.mu.Unlock()
		if after != before {
			t.Errorf("the removed connector was called %d more times", after-before)
		}
	})
}
