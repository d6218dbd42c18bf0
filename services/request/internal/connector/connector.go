package connector

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
)

// Action is the change an agent's action task asks for.
type Action struct {
	RequestID string `json:"requestId"`
	TaskID    string `json:"taskId"`
	// Type is the request type (GRANT_ACCESS, CHANGE_PERMISSION, REMOVE_ACCESS, ADD_APP,
	// ARCHIVE_APP).
	Type               string   `json:"type"`
	UserID             string   `json:"userId,omitempty"`
	UserEmail          string   `json:"userEmail,omitempty"`
	AppID              string   `json:"appId,omitempty"`
	AppName            string   `json:"appName,omitempty"`
	Permission         string   `json:"permission,omitempty"`
	PreviousPermission string   `json:"previousPermission,omitempty"`
	NewAppOwnerIDs     []string `json:"newAppOwnerIds,omitempty"`
}

// Connector provisions an action. Provision must be safe to repeat for the same action
// (deliveries are at least once): receivers get the task id as an idempotency key.
type Connector interface {
	Name() string
	Provision(ctx context.Context, a Action) error
}

// Registry picks the connector of an app: by app id or name, else the default.
type Registry struct {
	def   Connector
	byApp map[string]Connector
}

// NewRegistry returns a registry whose default is def (Directory when nil).
func NewRegistry(def Connector) *Registry {
	if def == nil {
		def = Directory{}
	}
	return &Registry{def: def, byApp: map[string]Connector{}}
}

// Set makes c the connector of the app with this id or name.
func (r *Registry) Set(app string, c Connector) { r.byApp[app] = c }

// For returns the connector of an app.
func (r *Registry) For(appID, appName string) Connector {
	if c, ok := r.byApp[appID]; ok && appID != "" {
		return c
	}
	if c, ok := r.byApp[appName]; ok && appName != "" {
		return c
	}
	return r.def
}

// Directory records the change in Grantflow's directory only: the request service applies
// the effect through identity when the action task completes, so there is nothing else to
// call. It is the connector of apps that have no provisioning API.
type Directory struct{}

func (Directory) Name() string                            { return "directory" }
func (Directory) Provision(context.Context, Action) error { return nil }

// Webhook POSTs each action as JSON to URL, signed with an HMAC-SHA256 of
// "<timestamp>.<body>" under Secret in the X-Grantflow-Signature header
// ("t=<unix seconds>,v1=<hex>"), with the task id as X-Grantflow-Delivery (the idempotency
// key). A 2xx answer is success; 408, 429 and 5xx answers and transport errors are retried
// with exponential backoff up to MaxTries; other answers fail at once.
type Webhook struct {
	URL    string
	Secret []byte
	Client *http.Client
	// MaxTries bounds the attempts (default 5); InitialInterval is the first wait (default
	// 200ms), doubling up to 5s.
	MaxTries        uint
	InitialInterval time.Duration
	Now             func() time.Time
}

func (w *Webhook) Name() string { return "webhook" }

// ErrRejected is a webhook answer that will not change by retrying.
var ErrRejected = errors.New("webhook rejected the action")

// Sign returns the signature header of body at time ts.
func Sign(secret []byte, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "%d.", ts)
	mac.Write(body)
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature header against body (for receivers, and the tests).
func Verify(secret []byte, header string, body []byte) bool {
	var ts int64
	var sig string
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts, _ = strconv.ParseInt(v, 10, 64)
		case "v1":
			sig = v
		}
	}
	want := Sign(secret, ts, body)
	return hmac.Equal([]byte(want), []byte("t="+strconv.FormatInt(ts, 10)+",v1="+sig))
}

func (w *Webhook) Provision(ctx context.Context, a Action) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second, Transport: otelhttp.NewTransport(http.DefaultTransport)}
	}
	now := w.Now
	if now == nil {
		now = time.Now
	}
	tries := w.MaxTries
	if tries == 0 {
		tries = 5
	}
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = w.InitialInterval
	if b.InitialInterval == 0 {
		b.InitialInterval = 200 * time.Millisecond
	}
	b.MaxInterval = 5 * time.Second
	_, err = backoff.Retry(ctx, func() (struct{}, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
		if err != nil {
			return struct{}{}, backoff.Permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Grantflow-Delivery", a.TaskID)
		req.Header.Set("X-Grantflow-Signature", Sign(w.Secret, now().Unix(), body))
		res, err := client.Do(req)
		if err != nil {
			return struct{}{}, err
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
		res.Body.Close()
		switch {
		case res.StatusCode >= 200 && res.StatusCode < 300:
			return struct{}{}, nil
		case res.StatusCode == http.StatusRequestTimeout, res.StatusCode == http.StatusTooManyRequests, res.StatusCode >= 500:
			return struct{}{}, fmt.Errorf("webhook answered %s", res.Status)
		}
		return struct{}{}, backoff.Permanent(fmt.Errorf("%w: %s", ErrRejected, res.Status))
	}, backoff.WithBackOff(b), backoff.WithMaxTries(tries), backoff.WithMaxElapsedTime(0))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.URL, err)
	}
	return nil
}

// FromEnv builds the registry from GRANTFLOW_AGENT_WEBHOOKS ("<app id or name>=<url>,...")
// and GRANTFLOW_AGENT_WEBHOOK_SECRET (and GRANTFLOW_AGENT_WEBHOOK_MAX_TRIES, default 5);
// every other app uses Directory.
func FromEnv(getenv func(string) string) (*Registry, error) {
	r := NewRegistry(nil)
	spec := strings.TrimSpace(getenv("GRANTFLOW_AGENT_WEBHOOKS"))
	if spec == "" {
		return r, nil
	}
	secret := getenv("GRANTFLOW_AGENT_WEBHOOK_SECRET")
	if len(secret) < 16 {
		return nil, errors.New("GRANTFLOW_AGENT_WEBHOOKS needs GRANTFLOW_AGENT_WEBHOOK_SECRET of at least 16 bytes")
	}
	var tries uint64
	if v := getenv("GRANTFLOW_AGENT_WEBHOOK_MAX_TRIES"); v != "" {
		n, err := strconv.ParseUint(v, 10, 8)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("GRANTFLOW_AGENT_WEBHOOK_MAX_TRIES: %q is not a number from 1 to 255", v)
		}
		tries = n
	}
	for item := range strings.SplitSeq(spec, ",") {
		app, url, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok || app == "" || !(strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://")) {
			return nil, fmt.Errorf("GRANTFLOW_AGENT_WEBHOOKS: %q is not <app>=<http(s) url>", item)
		}
		r.Set(app, &Webhook{URL: url, Secret: []byte(secret), MaxTries: uint(tries)})
	}
	return r, nil
}
