package notification_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	"github.com/grantflow/grantflow/services/notification/internal/webhook"
)

func code(err error) codes.Code { return status.Code(err) }

// badField returns the field the error's BadRequest detail names.
func badField(t *testing.T, err error) string {
	t.Helper()
	if code(err) != codes.InvalidArgument {
		t.Fatalf("err %v, want INVALID_ARGUMENT", err)
	}
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok && len(br.GetFieldViolations()) > 0 {
			return br.GetFieldViolations()[0].GetField()
		}
	}
	t.Fatalf("err %v has no BadRequest detail", err)
	return ""
}

func (h *harness) deliveries(webhookID string) []*notificationv1.Delivery {
	h.t.Helper()
	r, err := h.pub.ListDeliveries(as("admin-key"), &notificationv1.ListDeliveriesRequest{WebhookId: webhookID})
	if err != nil {
		h.t.Fatalf("ListDeliveries: %v", err)
	}
	return r.GetDeliveries()
}

// TestRetrySameWebhookID: a receiver that answers 500 then 200 gets the event again with
// the same webhook-id and body, every attempt signed as the specification says; only the
// subscribed types go out.
func TestRetrySameWebhookID(t *testing.T) {
	forEachEngine(t, config{}, func(t *testing.T, h *harness) {
		rcv := newReceiver(t, func(_ string, n int) int {
			if n == 0 {
				return http.StatusInternalServerError
			}
			return http.StatusOK
		})
		w, secret := h.create(rcv.URL, "request.*")
		rcv.setSecret(secret)
		if n := h.deliver(event("e1", "request.created", "requests/r1"), event("e2", "task.created", "tasks/t1")); n != 2 {
			t.Fatalf("accepted %d, want 2", n)
		}
		eventually(t, "the delivery to succeed", func() bool {
			ds := h.deliveries(w.GetId())
			return len(ds) == 1 && ds[0].GetStatus() == notificationv1.Delivery_SUCCEEDED
		})
		hits := rcv.snapshot()
		if len(hits) != 2 {
			t.Fatalf("receiver got %d requests, want 2 (500, then 200)", len(hits))
		}
		for i, hi := range hits {
			if hi.verifyErr != nil {
				t.Fatalf("request %d: signature refused by the specification's verifier: %v", i, hi.verifyErr)
			}
			if hi.id != "e1" {
				t.Fatalf("request %d: webhook-id %q, want the event id e1", i, hi.id)
			}
		}
		if string(hits[0].body) != string(hits[1].body) {
			t.Fatalf("the retry's body differs:\n%s\n%s", hits[0].body, hits[1].body)
		}
		// The metrics endpoint's counter of attempts by status: one to retry, one succeeded.
		if got := h.attempts(); got["PENDING"] != 1 || got["SUCCEEDED"] != 1 {
			t.Fatalf("delivery attempts by status: %v, want PENDING 1, SUCCEEDED 1", got)
		}
		var msg struct {
			Type      string
			Timestamp string
			Data      map[string]any
		}
		if err := json.Unmarshal(hits[0].body, &msg); err != nil {
			t.Fatalf("body %s: %v", hits[0].body, err)
		}
		if msg.Type != "request.created" || msg.Timestamp != "2026-12-02T08:00:00Z" || msg.Data["subject"] != "requests/r1" ||
			msg.Data["eventId"] != "e1" || msg.Data["change"].(map[string]any)["status"] != "IN_PROGRESS" {
			t.Fatalf("body %s", hits[0].body)
		}
		d := h.deliveries(w.GetId())[0]
		if d.GetAttempts() != 2 || d.GetLastStatusCode() != 200 || d.GetEventId() != "e1" || d.GetEventType() != "request.created" || d.GetNextAttemptTime() != nil {
			t.Fatalf("delivery %v", d)
		}
		// The relay sends the batch again: nothing new.
		if n := h.deliver(event("e1", "request.created", "requests/r1")); n != 0 {
			t.Fatalf("accepted %d of a batch sent again, want 0", n)
		}
		if ds := h.deliveries(w.GetId()); len(ds) != 1 {
			t.Fatalf("%d deliveries after the batch came again, want 1", len(ds))
		}
	})
}

// TestOrderPerSubject: with failures on the way, the deliveries of one subject to one
// subscription succeed in the order of the events; every event arrives.
func TestOrderPerSubject(t *testing.T) {
	forEachEngine(t, config{}, func(t *testing.T, h *harness) {
		rcv := newReceiver(t, func(id string, n int) int {
			var i int
			fmt.Sscanf(id[len(id)-2:], "%d", &i)
			if i%3 == 0 && n < 2 { // every third event fails twice
				return http.StatusServiceUnavailable
			}
			return http.StatusNoContent
		})
		h.create(rcv.URL)
		const n = 30
		var batch []*eventsv1.Event
		for i := range n {
			subject := []string{"requests/a", "requests/b"}[i%2]
			batch = append(batch, event(fmt.Sprintf("%s-%02d", subject[9:], i), "request.step_opened", subject))
		}
		h.deliver(batch[:n/2]...)
		h.deliver(batch[n/2:]...)
		succeeded := func() map[string][]string {
			out := map[string][]string{}
			for _, hi := range rcv.snapshot() {
				if hi.status < 300 {
					out[hi.id[:1]] = append(out[hi.id[:1]], hi.id)
				}
			}
			return out
		}
		eventually(t, "every event delivered", func() bool { s := succeeded(); return len(s["a"])+len(s["b"]) == n })
		for subject, ids := range succeeded() {
			if !slices.IsSorted(ids) {
				t.Fatalf("subject %s delivered out of order: %v", subject, ids)
			}
		}
	})
}

// TestAuthorization: the webhook calls are the matrix's "Create API Keys and Webhooks":
// Admin and GM; the event sink takes only other Grantflow services.
func TestAuthorization(t *testing.T) {
	h := newHarness(t, config{})
	w, _ := h.create("https://hooks.example.com/x")
	if _, err := h.pub.GetWebhook(as("gm-key"), &notificationv1.GetWebhookRequest{Id: w.GetId()}); err != nil {
		t.Fatalf("GM GetWebhook: %v", err)
	}
	user := as("user-key")
	calls := map[string]func() error{
		"create": func() error {
			_, err := h.pub.CreateWebhook(user, &notificationv1.CreateWebhookRequest{Url: "https://hooks.example.com/y"})
			return err
		},
		"get": func() error {
			_, err := h.pub.GetWebhook(user, &notificationv1.GetWebhookRequest{Id: w.GetId()})
			return err
		},
		"list": func() error { _, err := h.pub.ListWebhooks(user, &notificationv1.ListWebhooksRequest{}); return err },
		"update": func() error {
			_, err := h.pub.UpdateWebhook(user, &notificationv1.UpdateWebhookRequest{Id: w.GetId(), Webhook: &notificationv1.Webhook{Disabled: true}})
			return err
		},
		"delete": func() error {
			_, err := h.pub.DeleteWebhook(user, &notificationv1.DeleteWebhookRequest{Id: w.GetId()})
			return err
		},
		"deliveries": func() error {
			_, err := h.pub.ListDeliveries(user, &notificationv1.ListDeliveriesRequest{WebhookId: w.GetId()})
			return err
		},
		"ping": func() error {
			_, err := h.pub.PingWebhook(user, &notificationv1.PingWebhookRequest{Id: w.GetId()})
			return err
		},
		"redeliver": func() error {
			_, err := h.pub.RedeliverDelivery(user, &notificationv1.RedeliverDeliveryRequest{WebhookId: w.GetId(), Id: "d"})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); code(err) != codes.PermissionDenied {
			t.Errorf("%s as a user: %v, want PERMISSION_DENIED", name, err)
		}
	}
	if _, err := h.pub.ListWebhooks(t.Context(), &notificationv1.ListWebhooksRequest{}); code(err) != codes.Unauthenticated {
		t.Errorf("no credentials: %v, want UNAUTHENTICATED", err)
	}
	if _, err := h.sink.DeliverEvents(as("admin-key"), &eventsv1.DeliverEventsRequest{Events: []*eventsv1.Event{event("x", "request.created", "requests/x")}}); code(err) != codes.PermissionDenied {
		t.Errorf("an admin calling the event sink: %v, want PERMISSION_DENIED", err)
	}
	if got, err := h.pub.GetWebhook(as("admin-key"), &notificationv1.GetWebhookRequest{Id: w.GetId()}); err != nil || got.GetDisabled() {
		t.Fatalf("the subscription changed under refused calls: %v, %v", got, err)
	}
}

// TestBadInput: URLs that break the rules and unknown event types are 400 naming the
// field; nothing is written.
func TestBadInput(t *testing.T) {
	h := newHarness(t, config{strict: true})
	admin := as("admin-key")
	for url, why := range map[string]string{
		"http://hooks.example.com/x":          "plain http",
		"https://127.0.0.1/x":                 "loopback",
		"https://localhost/x":                 "loopback name",
		"https://10.0.0.8/x":                  "10.0.0.0/8",
		"https://169.254.169.254/latest/meta": "metadata address",
		"not a url":                           "not a URL",
	} {
		_, err := h.pub.CreateWebhook(admin, &notificationv1.CreateWebhookRequest{Url: url})
		if f := badField(t, err); f != "url" {
			t.Errorf("%s (%s): field %q, want url", url, why, f)
		}
	}
	_, err := h.pub.CreateWebhook(admin, &notificationv1.CreateWebhookRequest{Url: "https://hooks.example.com/x", EventTypes: []string{"request.created", "request.nope"}})
	if f := badField(t, err); f != "event_types[1]" {
		t.Errorf("unknown event type: field %q", f)
	}
	if r, _ := h.pub.ListWebhooks(admin, &notificationv1.ListWebhooksRequest{}); len(r.GetWebhooks()) != 0 {
		t.Fatalf("refused creates wrote %d subscriptions", len(r.GetWebhooks()))
	}
	w, _ := h.create("https://hooks.example.com/x", "request.*")
	_, err = h.pub.UpdateWebhook(admin, &notificationv1.UpdateWebhookRequest{Id: w.GetId(), Webhook: &notificationv1.Webhook{Url: "https://192.168.1.1/"}})
	if f := badField(t, err); f != "webhook.url" {
		t.Errorf("update to a private address: field %q", f)
	}
	_, err = h.pub.UpdateWebhook(admin, &notificationv1.UpdateWebhookRequest{Id: w.GetId(), Webhook: &notificationv1.Webhook{EventTypes: []string{"bogus"}}})
	if f := badField(t, err); f != "webhook.event_types[0]" {
		t.Errorf("update to an unknown type: field %q", f)
	}
	_, err = h.pub.UpdateWebhook(admin, &notificationv1.UpdateWebhookRequest{Id: w.GetId(), Webhook: &notificationv1.Webhook{}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"secret"}}})
	if f := badField(t, err); f != "update_mask" {
		t.Errorf("update of an unknown field: field %q", f)
	}
	if got, _ := h.pub.GetWebhook(admin, &notificationv1.GetWebhookRequest{Id: w.GetId()}); got.GetUrl() != w.GetUrl() || got.GetEventTypes()[0] != "request.*" {
		t.Fatalf("refused updates changed the subscription: %v", got)
	}
	if _, err := h.pub.ListWebhooks(admin, &notificationv1.ListWebhooksRequest{PageToken: "garbage"}); badField(t, err) != "page_token" {
		t.Errorf("bad page token")
	}
	if _, err := h.pub.GetWebhook(admin, &notificationv1.GetWebhookRequest{Id: "nope"}); code(err) != codes.NotFound {
		t.Errorf("unknown webhook: %v, want NOT_FOUND", err)
	}
}

// TestLifecycle: edit, disable, ping, redeliver, delete, and paging.
func TestLifecycle(t *testing.T) {
	forEachEngine(t, config{}, func(t *testing.T, h *harness) {
		admin := as("admin-key")
		rcv := newReceiver(t, nil)
		w, secret := h.create(rcv.URL, "task.created")
		rcv.setSecret(secret)
		// Edit the types: now request.* only.
		up, err := h.pub.UpdateWebhook(admin, &notificationv1.UpdateWebhookRequest{Id: w.GetId(),
			Webhook: &notificationv1.Webhook{EventTypes: []string{"request.*"}, Description: "edited"}})
		if err != nil || up.GetEventTypes()[0] != "request.*" || up.GetDescription() != "edited" || up.GetUrl() != w.GetUrl() {
			t.Fatalf("UpdateWebhook = %v, %v", up, err)
		}
		h.deliver(event("t1", "task.created", "tasks/1"), event("r1", "request.done", "requests/1"))
		eventually(t, "r1 delivered", func() bool { return len(rcv.snapshot()) == 1 })
		// Disabled: new events are not delivered.
		if _, err := h.pub.UpdateWebhook(admin, &notificationv1.UpdateWebhookRequest{Id: w.GetId(), Webhook: &notificationv1.Webhook{Disabled: true}}); err != nil {
			t.Fatal(err)
		}
		h.deliver(event("r2", "request.done", "requests/2"))
		// Ping goes out even to a disabled subscription, and is signed like the rest.
		ping, err := h.pub.PingWebhook(admin, &notificationv1.PingWebhookRequest{Id: w.GetId()})
		if err != nil || ping.GetEventType() != "webhook.ping" || ping.GetStatus() != notificationv1.Delivery_PENDING {
			t.Fatalf("PingWebhook = %v, %v", ping, err)
		}
		eventually(t, "the ping", func() bool { return len(rcv.snapshot()) == 2 })
		// Re-enabled with the mask naming disabled (false is otherwise "not set").
		if _, err := h.pub.UpdateWebhook(admin, &notificationv1.UpdateWebhookRequest{Id: w.GetId(), Webhook: &notificationv1.Webhook{},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"disabled"}}}); err != nil {
			t.Fatal(err)
		}
		ds := h.deliveries(w.GetId())
		if len(ds) != 2 || ds[0].GetEventType() != "webhook.ping" || ds[1].GetEventId() != "r1" {
			t.Fatalf("delivery log %v: want the ping and r1, newest first (r2 came while disabled)", ds)
		}
		// Redeliver r1: the same webhook-id again.
		eventually(t, "r1 recorded as succeeded", func() bool {
			d, err := h.pub.GetDelivery(admin, &notificationv1.GetDeliveryRequest{WebhookId: w.GetId(), Id: ds[1].GetId()})
			return err == nil && d.GetStatus() == notificationv1.Delivery_SUCCEEDED
		})
		again, err := h.pub.RedeliverDelivery(admin, &notificationv1.RedeliverDeliveryRequest{WebhookId: w.GetId(), Id: ds[1].GetId()})
		if err != nil || again.GetStatus() != notificationv1.Delivery_PENDING {
			t.Fatalf("Redeliver = %v, %v", again, err)
		}
		eventually(t, "the redelivery", func() bool { return len(rcv.snapshot()) == 3 })
		hits := rcv.snapshot()
		if hits[0].id != "r1" || hits[1].id != ping.GetEventId() || hits[2].id != "r1" || string(hits[2].body) != string(hits[0].body) {
			t.Fatalf("receiver got %q %q %q", hits[0].id, hits[1].id, hits[2].id)
		}
		for _, hi := range hits {
			if hi.verifyErr != nil {
				t.Fatalf("%s: %v", hi.id, hi.verifyErr)
			}
		}
		if _, err := h.pub.RedeliverDelivery(admin, &notificationv1.RedeliverDeliveryRequest{WebhookId: w.GetId(), Id: "nope"}); code(err) != codes.NotFound {
			t.Fatalf("redeliver unknown: %v", err)
		}
		// Paging.
		for range 3 {
			h.create(rcv.URL)
		}
		p1, err := h.pub.ListWebhooks(admin, &notificationv1.ListWebhooksRequest{PageSize: 3})
		if err != nil || len(p1.GetWebhooks()) != 3 || p1.GetNextPageToken() == "" || p1.GetWebhooks()[0].GetId() != w.GetId() {
			t.Fatalf("first page %v, %v", p1, err)
		}
		p2, err := h.pub.ListWebhooks(admin, &notificationv1.ListWebhooksRequest{PageSize: 3, PageToken: p1.GetNextPageToken()})
		if err != nil || len(p2.GetWebhooks()) != 1 || p2.GetNextPageToken() != "" {
			t.Fatalf("second page %v, %v", p2, err)
		}
		// Delete.
		if _, err := h.pub.DeleteWebhook(admin, &notificationv1.DeleteWebhookRequest{Id: w.GetId()}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.pub.ListDeliveries(admin, &notificationv1.ListDeliveriesRequest{WebhookId: w.GetId()}); code(err) != codes.NotFound {
			t.Fatalf("deliveries of a deleted webhook: %v", err)
		}
	})
}

// TestRetryWindowCloses: a receiver that never answers 2xx ends FAILED once the window
// has closed, after several attempts with growing waits. The service's clock moves only
// when the test moves it, so the number of attempts inside the window does not depend on
// how fast the machine runs them.
func TestRetryWindowCloses(t *testing.T) {
	retry := fastRetry // no jitter: the waits are 20, 40, 80 ms
	retry.Window = 300 * time.Millisecond
	forEachEngine(t, config{retry: retry, manualClock: true}, func(t *testing.T, h *harness) {
		rcv := newReceiver(t, func(string, int) int { return http.StatusBadGateway })
		w, _ := h.create(rcv.URL)
		h.deliver(event("e1", "request.created", "requests/r1"))
		// attempted waits until the n-th attempt is recorded (a claimed delivery counts the
		// attempt at once, leased for a minute; the record sets its next time): PENDING,
		// due again wait after it.
		attempted := func(n int32, wait time.Duration) {
			t.Helper()
			eventually(t, fmt.Sprintf("attempt %d recorded", n), func() bool {
				ds := h.deliveries(w.GetId())
				return len(ds) == 1 && ds[0].GetAttempts() == n && ds[0].GetLastStatusCode() == 502 &&
					ds[0].GetNextAttemptTime().AsTime().Sub(ds[0].GetUpdateTime().AsTime()) < time.Minute
			})
			d := h.deliveries(w.GetId())[0]
			if d.GetStatus() != notificationv1.Delivery_PENDING || d.GetNextAttemptTime().AsTime().Sub(d.GetUpdateTime().AsTime()) != wait {
				t.Fatalf("after attempt %d, inside the window: %v, want PENDING, due again after %v", n, d, wait)
			}
		}
		waits := []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 100 * time.Millisecond}
		attempted(1, waits[0])
		for n, wait := range waits[:3] {
			h.clock.Advance(wait)
			attempted(int32(n+2), waits[n+1])
		}
		// 140 ms have passed: the window closes at 300; the next attempt, at 300, fails it.
		h.clock.Advance(160 * time.Millisecond)
		eventually(t, "the delivery to fail", func() bool {
			ds := h.deliveries(w.GetId())
			return len(ds) == 1 && ds[0].GetStatus() == notificationv1.Delivery_FAILED
		})
		d := h.deliveries(w.GetId())[0]
		if d.GetAttempts() != 5 || int(d.GetAttempts()) != len(rcv.snapshot()) || d.GetLastStatusCode() != 502 || d.GetLastError() == "" {
			t.Fatalf("failed delivery %v after %d requests", d, len(rcv.snapshot()))
		}
	})
}

// TestRefusedOnConnection: a subscription to a name is accepted, and the name is checked on
// each connection, after DNS: one that resolves to loopback or to the metadata address is
// refused there, recorded in the delivery log, and retried like any failure (the listener
// is never reached).
func TestRefusedOnConnection(t *testing.T) {
	rcv := newReceiver(t, nil)
	port := rcv.Listener.Addr().(*net.TCPAddr).Port
	hosts := map[string]string{"hooks.loopback.test": "127.0.0.1", "hooks.metadata.test": "169.254.169.254"}
	h := newHarness(t, config{strict: true, client: &webhook.Options{Timeout: 30 * time.Second, Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
		if a, ok := hosts[host]; ok {
			return []netip.Addr{netip.MustParseAddr(a)}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}}})
	loop, _ := h.create(fmt.Sprintf("https://hooks.loopback.test:%d/hook", port))
	meta, _ := h.create("https://hooks.metadata.test/latest/meta-data/")
	h.deliver(event("e1", "request.created", "requests/r1"))
	for _, w := range []*notificationv1.Webhook{loop, meta} {
		eventually(t, "a refused attempt recorded", func() bool {
			ds := h.deliveries(w.GetId())
			return len(ds) == 1 && ds[0].GetAttempts() >= 1 && strings.Contains(ds[0].GetLastError(), "address not allowed")
		})
		if d := h.deliveries(w.GetId())[0]; d.GetStatus() != notificationv1.Delivery_PENDING || d.GetLastStatusCode() != 0 {
			t.Fatalf("refused delivery %v: want PENDING (retried), no status code", d)
		}
	}
	if n := len(rcv.snapshot()); n != 0 {
		t.Fatalf("the receiver behind the refused names got %d requests", n)
	}
}
