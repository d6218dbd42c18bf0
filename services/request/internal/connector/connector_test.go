package connector

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/stdwebhook"
)

// fast is a webhook to srv that retries at once.
func fast(url string, secret []byte) *Webhook {
	return &Webhook{URL: url, Secret: secret, AllowPrivate: true, MaxTries: 2, InitialInterval: time.Millisecond}
}

// TestWebhookSignsTheStandardWebhooksWay: the receiver verifies the call with the shared
// verifier; webhook-id is the task id.
func TestWebhookSignsTheStandardWebhooksWay(t *testing.T) {
	secret := stdwebhook.NewSecret()
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := stdwebhook.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			got.Store(err.Error())
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		got.Store(r.Header.Get(stdwebhook.HeaderID))
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	if err := fast(srv.URL, secret).Provision(t.Context(), Action{TaskID: "task-1", Type: "GRANT_ACCESS"}); err != nil {
		t.Fatal(err)
	}
	if got.Load() != "task-1" {
		t.Fatalf("receiver saw %v, want webhook-id task-1", got.Load())
	}
}

// TestWebhookErrorsNeverNameTheURL (issue 15): the error of a failed provisioning goes into
// the task's history and audit; it must not carry the URL's query or user info, which may
// hold credentials. Before the fix it did ("webhook https://user:pw@host/?token=...: ...").
func TestWebhookErrorsNeverNameTheURL(t *testing.T) {
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens: a transport error, which net/http words with the URL
	for name, base := range map[string]string{"5xx": failing.URL, "transport error": closed.URL, "4xx": failing.URL + "/missing"} {
		t.Run(name, func(t *testing.T) {
			u := strings.Replace(base, "http://", "http://agent:pa55word@", 1) + "/hook?token=s3cr3t-token&sig=abc"
			if name == "4xx" {
				u = strings.Replace(base, "http://", "http://agent:pa55word@", 1) + "?token=s3cr3t-token"
			}
			err := fast(u, []byte("k")).Provision(t.Context(), Action{TaskID: "t"})
			if err == nil {
				t.Fatal("no error")
			}
			for _, leak := range []string{"s3cr3t-token", "pa55word", "sig=abc", "?token"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error %q carries %q", err, leak)
				}
			}
		})
	}
}

// TestWebhookDoesNotFollowRedirects (issue 15): a 3xx is a final refusal; the target of the
// redirect is never called.
func TestWebhookDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer target.Close()
	var calls atomic.Int32
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	err := fast(redirector.URL, []byte("k")).Provision(t.Context(), Action{TaskID: "t"})
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "redirect") {
		t.Fatalf("error %v, want a rejected redirect", err)
	}
	if followed.Load() != 0 || calls.Load() != 1 {
		t.Fatalf("redirect followed %d times, redirector called %d times (want 0 and 1: no retry)", followed.Load(), calls.Load())
	}
}

// TestWebhookGuardsAddresses: without GRANTFLOW_WEBHOOK_ALLOW_PRIVATE, http and a loopback
// address are refused before anything is sent.
func TestWebhookGuardsAddresses(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	w := &Webhook{URL: srv.URL, Secret: []byte("k"), MaxTries: 1}
	if err := w.Provision(context.Background(), Action{TaskID: "t"}); err == nil || !strings.Contains(err.Error(), "https") {
		t.Fatalf("http: %v, want refused", err)
	}
	w.URL = strings.Replace(srv.URL, "http://", "https://", 1)
	if err := w.Provision(context.Background(), Action{TaskID: "t"}); err == nil || !strings.Contains(err.Error(), "address not allowed") {
		t.Fatalf("loopback: %v, want a refused address", err)
	}
	if calls.Load() != 0 {
		t.Fatalf("the receiver was reached %d times", calls.Load())
	}
}
