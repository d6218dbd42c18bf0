package notification_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/notification"
	"github.com/grantflow/grantflow/services/notification/internal/store/postgres"
	"github.com/grantflow/grantflow/services/notification/internal/webhook"
)

// people are the callers of the tests, by API key.
var people = map[string]auth.Principal{
	"admin-key": {UserID: "admin", Role: identityv1.Role_ADMIN, CredentialID: "k-admin"},
	"gm-key":    {UserID: "gm", Role: identityv1.Role_GENERAL_MANAGER, CredentialID: "k-gm"},
	"user-key":  {UserID: "uma", Role: identityv1.Role_USER, CredentialID: "k-uma"},
}

var authenticator = auth.AuthenticatorFunc(func(_ context.Context, key string) (auth.Principal, error) {
	if p, ok := people[key]; ok {
		return p, nil
	}
	return auth.Principal{}, errs.Unauthenticated("unknown key")
})

// harness runs the notification service behind the kit's real server chain on an
// in-memory listener, with its dispatcher running.
type harness struct {
	t      testing.TB
	svc    *notification.Service
	pub    notificationv1.WebhookServiceClient
	notif  notificationv1.NotificationServiceClient
	sink   eventsv1.EventSinkServiceClient
	signer *auth.Signer
	// metrics reads the service's delivery metrics.
	metrics *sdkmetric.ManualReader
	// clock is the service's time under config.manualClock (else nil).
	clock *timer.ManualClock
}

type config struct {
	postgresURL string
	strict      bool // the address rules on (no GRANTFLOW_WEBHOOK_ALLOW_PRIVATE)
	retry       notification.Retry
	client      *webhook.Options // the webhook client's options, when not the default
	messaging   *messaging       // email and Slack, when the test sends messages
	logger      *slog.Logger
	manualClock bool // the service's time moves only when the test moves h.clock
}

// testSecretsKey seals the subscriptions' secrets in the tests (GRANTFLOW_SECRETS_KEY).
const testSecretsKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

// fastRetry makes the tests' schedule: retries within milliseconds, a window of a minute.
var fastRetry = notification.Retry{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond, Multiplier: 2, Window: time.Minute}

func newHarness(t testing.TB, c config) *harness {
	t.Helper()
	if c.retry == (notification.Retry{}) {
		c.retry = fastRetry
	}
	log := slog.New(slog.DiscardHandler)
	if c.logger != nil {
		log = c.logger
	}
	signer := servicetest.Signer(t)
	metrics := sdkmetric.NewManualReader()
	o := notification.Options{
		Settings: kit.Settings{Logger: log, PostgresURL: c.postgresURL}, SecretsKey: testSecretsKey, AllowPrivate: !c.strict, Retry: c.retry,
		Timeout: 30 * time.Second, Poll: 50 * time.Millisecond, Client: c.client,
		Meter: sdkmetric.NewMeterProvider(sdkmetric.WithReader(metrics)),
	}
	var clock *timer.ManualClock
	if c.manualClock {
		clock = timer.NewManualClock(time.Now())
		o.Now = clock.Now
	}
	if c.messaging != nil {
		c.messaging.apply(&o)
	}
	svc, err := notification.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	servicetest.Run(t, svc)
	srv := servicetest.Server(t, signer, authenticator, kit.InternalMethod)
	svc.Register(srv)
	conn := servicetest.Serve(t, srv)
	return &harness{t: t, svc: svc, pub: notificationv1.NewWebhookServiceClient(conn), notif: notificationv1.NewNotificationServiceClient(conn), sink: eventsv1.NewEventSinkServiceClient(conn), signer: signer, metrics: metrics, clock: clock}
}

// forEachEngine runs test on the memory engine and on a PostgreSQL database of its own
// (skipped loudly, or failed under CI=true, without PostgreSQL).
func forEachEngine(t *testing.T, c config, test func(t *testing.T, h *harness)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		test(t, newHarness(t, c))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		pgtest.NewDatabase(t, postgres.Schema.Options(""))
		c := c
		c.postgresURL = pgtest.URL(t)
		test(t, newHarness(t, c))
	})
}

var as = servicetest.WithKey

// system is a context calling as another Grantflow service does (signed internal token).
func (h *harness) system() context.Context { return servicetest.System(h.t, h.signer) }

func (h *harness) create(url string, types ...string) (*notificationv1.Webhook, string) {
	h.t.Helper()
	r, err := h.pub.CreateWebhook(as("admin-key"), &notificationv1.CreateWebhookRequest{Url: url, EventTypes: types, Description: "test"})
	if err != nil {
		h.t.Fatalf("CreateWebhook: %v", err)
	}
	return r.GetWebhook(), r.GetSecret()
}

func event(id, action, subject string) *eventsv1.Event {
	return &eventsv1.Event{Id: id, Service: "grantflow-request", Action: action, Subject: subject,
		Time: timestamppb.New(time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)), ActorId: "uma",
		RequestId: strings.TrimPrefix(subject, "requests/"), Payload: &eventsv1.Event_RequestChanged{RequestChanged: &eventsv1.RequestChanged{Status: "IN_PROGRESS"}}}
}

func (h *harness) deliver(events ...*eventsv1.Event) int32 {
	h.t.Helper()
	r, err := h.sink.DeliverEvents(h.system(), &eventsv1.DeliverEventsRequest{Events: events})
	if err != nil {
		h.t.Fatalf("DeliverEvents: %v", err)
	}
	return r.GetAccepted()
}

// eventually waits for cond under a deadline that only bounds a hang.
var eventually = servicetest.Eventually

// hit is one request a receiver got.
type hit struct {
	id, timestamp, signature string
	body                     []byte
	status                   int
	verifyErr                error
}

// receiver is a webhook endpoint of the tests: it checks every signature with verify,
// answers what answer says for each request, and records everything.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	hits   []hit
	answer func(id string, n int) int // n: how many times this id came before
}

func newReceiver(t testing.TB, answer func(id string, n int) int) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		h := hit{id: req.Header.Get("webhook-id"), timestamp: req.Header.Get("webhook-timestamp"),
			signature: req.Header.Get("webhook-signature"), body: body}
		if r.secret != "" {
			h.verifyErr = verify(r.secret, req.Header, body, time.Now())
		}
		n := 0
		for _, p := range r.hits {
			if p.id == h.id {
				n++
			}
		}
		h.status = http.StatusNoContent
		if r.answer != nil {
			h.status = r.answer(h.id, n)
		}
		r.hits = append(r.hits, h)
		w.WriteHeader(h.status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }

func (r *receiver) snapshot() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

// verify checks a delivery as the Standard Webhooks specification tells receivers to,
// written from its text, not from the sender's code: the secret is "whsec_" + base64 of
// the key; the signed content is "{webhook-id}.{webhook-timestamp}.{body}"; the signature
// header is a space-separated list of "v1,<base64 HMAC-SHA256>", one of which must match
// (compared in constant time); the timestamp must be within five minutes of now.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("secret: %v", err)
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	if id == "" || ts == "" {
		return errors.New("missing webhook-id or webhook-timestamp")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("webhook-timestamp %s is too far from now", ts)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := mac.Sum(nil)
	for _, entry := range strings.Fields(h.Get("webhook-signature")) {
		if v, sig, ok := strings.Cut(entry, ","); ok && v == "v1" {
			if got, err := base64.StdEncoding.DecodeString(sig); err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return errors.New("no matching v1 signature")
}

// attempts reads the delivery attempts counted by status.
func (h *harness) attempts() map[string]int64 {
	h.t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.metrics.Collect(context.Background(), &rm); err != nil {
		h.t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if sum, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "grantflow.webhook.delivery.attempts" {
				for _, dp := range sum.DataPoints {
					st, _ := dp.Attributes.Value("status")
					out[st.AsString()] += dp.Value
				}
			}
		}
	}
	return out
}
