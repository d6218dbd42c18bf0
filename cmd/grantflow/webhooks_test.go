package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/grantflow/grantflow/pkg/pgtest"
)

// webhookReceiver is a webhook endpoint: it records every request and checks each
// signature as the Standard Webhooks specification tells a receiver to (written from its
// text: HMAC-SHA256 keyed with the base64 part of the secret over "id.timestamp.body",
// "v1,"-prefixed base64 in webhook-signature).
type webhookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	hits   []webhookHit
}

// webhookHit is one call the receiver got. Its signature is checked when the test reads it
// (with the secret known by then): the demo organization's events may still be on their way
// when the subscription is made, and reach the receiver before the test has its secret.
type webhookHit struct {
	id, typ  string
	verified bool

	ts, sig string
	body    []byte
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	r := &webhookReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var msg struct{ Type string }
		_ = json.Unmarshal(body, &msg)
		ts, _ := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64)
		if time.Since(time.Unix(ts, 0)).Abs() >= 5*time.Minute {
			w.WriteHeader(http.StatusBadRequest) // outside the tolerance: a replay
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		r.hits = append(r.hits, webhookHit{id: req.Header.Get("webhook-id"), typ: msg.Type,
			ts: req.Header.Get("webhook-timestamp"), sig: req.Header.Get("webhook-signature"), body: body})
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

// of returns the requests of event type typ so far, each with its signature checked under
// the receiver's secret, as the specification says a receiver does.
func (r *webhookReceiver) of(typ string) []webhookHit {
	r.mu.Lock()
	defer r.mu.Unlock()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(r.secret, "whsec_"))
	var out []webhookHit
	for _, h := range r.hits {
		if h.typ == typ {
			mac := hmac.New(sha256.New, key)
			fmt.Fprintf(mac, "%s.%s.%s", h.id, h.ts, h.body)
			h.verified = hmac.Equal([]byte(h.sig), []byte("v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil))))
			out = append(out, h)
		}
	}
	return out
}

// TestWebhooksOverREST walks the Webhooks paths of API.md on the all-in-one process: a
// subscription made over REST receives a request's events, signed, through the outbox of
// the request service; ping, redeliver, edit and delete work; non-admins get 403 and bad
// input 400 naming the field.
func TestWebhooksOverREST(t *testing.T) {
	for _, engine := range []string{"memory", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			o := systemOptions{allowPrivateWebhooks: true}
			if engine == "postgres" {
				o.postgresURL = pgtest.NewEmptyDatabase(t)
			}
			walkWebhooks(t, startSystem(t, o))
		})
	}
}

func walkWebhooks(t *testing.T, s *system) {
	rcv := newWebhookReceiver(t)
	var id, deliveryID, eventID string
	s.walk(t, []step{
		{"create", "ada", "POST", "/v1/webhooks", map[string]any{"url": rcv.URL + "/hook", "eventTypes": []string{"request.*", "webhook.ping"}, "description": "CI"}, 200, func(b map[string]any) {
			w, _ := b["webhook"].(map[string]any)
			id = str(w, "id")
			secret := str(b, "secret")
			if id == "" || !strings.HasPrefix(secret, "whsec_") || str(w, "url") != rcv.URL+"/hook" {
				t.Fatalf("create: %v", b)
			}
			rcv.mu.Lock()
			rcv.secret = secret
			rcv.mu.Unlock()
		}},
	})
	s.walk(t, []step{
		{"create by a user", "uma", "POST", "/v1/webhooks", map[string]any{"url": rcv.URL}, 403, s.grpcCode(t, codes.PermissionDenied)},
		{"create without credentials", "", "POST", "/v1/webhooks", map[string]any{"url": rcv.URL}, 401, nil},
		{"create with an unknown event type", "ada", "POST", "/v1/webhooks", map[string]any{"url": rcv.URL, "eventTypes": []string{"request.nope"}}, 400, s.badField(t, "event_types")},
		{"create with ftp", "ada", "POST", "/v1/webhooks", map[string]any{"url": "ftp://example.com/x"}, 400, s.badField(t, "url")},
		{"list by the GM", "grace", "GET", "/v1/webhooks", nil, 200, func(b map[string]any) {
			if ws := objects(b, "webhooks"); len(ws) != 1 || str(ws[0], "id") != id {
				t.Errorf("list: %v", b)
			}
		}},
		{"list by a user", "uma", "GET", "/v1/webhooks", nil, 403, nil},
		{"get by a user", "uma", "GET", "/v1/webhooks/" + id, nil, 403, nil},
		{"edit the description", "ada", "PATCH", "/v1/webhooks/" + id, map[string]any{"description": "edited"}, 200, func(b map[string]any) {
			if str(b, "description") != "edited" || str(b, "url") != rcv.URL+"/hook" || len(b["eventTypes"].([]any)) != 2 {
				t.Errorf("edit: %v", b)
			}
		}},
		{"edit to an unknown event type", "ada", "PATCH", "/v1/webhooks/" + id, map[string]any{"eventTypes": []string{"bogus"}}, 400, s.badField(t, "webhook.event_types")},
		{"edit by a user", "uma", "PATCH", "/v1/webhooks/" + id, map[string]any{"disabled": true}, 403, nil},
		{"a request", "uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "viewer"}, 200, nil},
	})
	waitFor(t, "request.created at the receiver", func() (bool, string) {
		return len(rcv.of("request.created")) > 0, "none yet"
	})
	if h := rcv.of("request.created")[0]; !h.verified {
		t.Fatalf("request.created %s: the signature did not verify", h.id)
	}
	waitFor(t, "the delivery recorded as SUCCEEDED", func() (bool, string) {
		b := s.must("ada", "GET", "/v1/webhooks/"+id+"/deliveries", nil)
		for _, d := range objects(b, "deliveries") {
			if str(d, "eventType") == "request.created" && str(d, "status") == "SUCCEEDED" {
				deliveryID, eventID = str(d, "id"), str(d, "eventId")
				return d["attempts"] == float64(1) && d["lastStatusCode"] == float64(204), fmt.Sprint(d)
			}
		}
		return false, fmt.Sprint(b)
	})
	s.walk(t, []step{
		{"deliveries by a user", "uma", "GET", "/v1/webhooks/" + id + "/deliveries", nil, 403, nil},
		{"ping", "ada", "POST", "/v1/webhooks/" + id + ":ping", nil, 200, func(b map[string]any) {
			if str(b, "eventType") != "webhook.ping" || str(b, "status") != "PENDING" {
				t.Errorf("ping: %v", b)
			}
		}},
		{"ping by a user", "uma", "POST", "/v1/webhooks/" + id + ":ping", nil, 403, nil},
		{"redeliver", "grace", "POST", "/v1/webhooks/" + id + "/deliveries/" + deliveryID + ":redeliver", nil, 200, func(b map[string]any) {
			if str(b, "status") != "PENDING" {
				t.Errorf("redeliver: %v", b)
			}
		}},
		{"redeliver a missing delivery", "ada", "POST", "/v1/webhooks/" + id + "/deliveries/nope:redeliver", nil, 404, nil},
	})
	waitFor(t, "the ping and the redelivery", func() (bool, string) {
		again := 0
		for _, h := range rcv.of("request.created") {
			if h.id == eventID {
				again++
			}
		}
		return again >= 2 && len(rcv.of("webhook.ping")) == 1, fmt.Sprintf("%d copies of %s, %d pings", again, eventID, len(rcv.of("webhook.ping")))
	})
	for _, h := range append(rcv.of("request.created"), rcv.of("webhook.ping")...) {
		if !h.verified {
			t.Fatalf("%s %s: the signature did not verify", h.typ, h.id)
		}
	}
	s.walk(t, []step{
		{"delete by a user", "uma", "DELETE", "/v1/webhooks/" + id, nil, 403, nil},
		{"delete", "ada", "DELETE", "/v1/webhooks/" + id, nil, 200, nil},
		{"get after delete", "ada", "GET", "/v1/webhooks/" + id, nil, 404, nil},
	})
}
