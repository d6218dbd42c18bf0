package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"github.com/grantflow/grantflow/pkg/stdwebhook"
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

// Lookup returns the connector an app's owner set up through the API (identity's
// GET /v1/apps/{id}/connector, read with its secret over the internal API): its URL and
// raw secret, ok false when the app has none.
type Lookup func(ctx context.Context, appID string) (url string, secret []byte, ok bool, err error)

// Registry picks the connector of an app: the one set up for the app through the API
// (Lookup, asked at every action, so a change needs no restart), else the deprecated
// operator setting GRANTFLOW_AGENT_WEBHOOKS (by app id or name), else the default.
type Registry struct {
	def    Connector
	byApp  map[string]Connector
	lookup Lookup
	// Webhook is the template of the webhooks Lookup's answers become (client, tries).
	webhook Webhook
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

// WithLookup makes the registry ask lookup first; the webhooks it answers with are sent
// like template (its Client, MaxTries, InitialInterval, Now).
func (r *Registry) WithLookup(lookup Lookup, template Webhook) *Registry {
	r.lookup, r.webhook = lookup, template
	return r
}

// For returns the connector of an app.
func (r *Registry) For(ctx context.Context, appID, appName string) (Connector, error) {
	if r.lookup != nil && appID != "" {
		url, secret, ok, err := r.lookup(ctx, appID)
		if err != nil {
			return nil, err
		}
		if ok {
			w := r.webhook
			w.URL, w.Secret = url, secret
			return &w, nil
		}
	}
	if c, ok := r.byApp[appID]; ok && appID != "" {
		return c, nil
	}
	if c, ok := r.byApp[appName]; ok && appName != "" {
		return c, nil
	}
	return r.def, nil
}

// Directory records the change in Grantflow's directory only: the request service applies
// the effect through identity when the action task completes, so there is nothing else to
// call. It is the connector of apps that have no provisioning API.
type Directory struct{}

func (Directory) Name() string                            { return "directory" }
func (Directory) Provision(context.Context, Action) error { return nil }

// Webhook POSTs each action as JSON to URL, signed the Standard Webhooks way (package
// stdwebhook, as the notification service's subscriptions are): webhook-id is the task id
// (the idempotency key, the same on every attempt), webhook-timestamp the attempt's Unix
// seconds, webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>" under Secret.
// A 2xx answer is success; 408, 429 and 5xx answers and transport errors are retried with
// exponential backoff up to MaxTries; other answers (a redirect among them: it is never
// followed) fail at once. Errors never name the URL, which may carry credentials in its
// query or user info: they end up in the task's history and in audit.
type Webhook struct {
	URL    string
	Secret []byte
	// Client sends the calls; nil: stdwebhook's guarded client (every connection checked
	// after DNS, https only, no redirects), which only tests replace.
	Client *http.Client
	// AllowPrivate lifts the https-only rule (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1); the
	// address rules are the Client's.
	AllowPrivate bool
	// MaxTries bounds the attempts (default 5); InitialInterval is the first wait (default
	// 200ms), doubling up to 5s.
	MaxTries        uint
	InitialInterval time.Duration
	Now             func() time.Time
}

func (w *Webhook) Name() string { return "webhook" }

// ErrRejected is a webhook answer that will not change by retrying.
var ErrRejected = errors.New("webhook rejected the action")

func (w *Webhook) Provision(ctx context.Context, a Action) error {
	if err := w.provision(ctx, a); err != nil {
		return fmt.Errorf("webhook connector: %w", err)
	}
	return nil
}

func (w *Webhook) provision(ctx context.Context, a Action) error {
	body, err := json.Marshal(a)
	if err != nil {
		return err
	}
	if u, err := url.Parse(w.URL); err != nil || !(u.Scheme == "https" || (w.AllowPrivate && u.Scheme == "http")) {
		return fmt.Errorf("%w: the connector URL must be https", ErrRejected)
	}
	client := w.Client
	if client == nil {
		client = stdwebhook.NewHTTPClient(stdwebhook.ClientOptions{AllowPrivate: w.AllowPrivate, Wrap: func(rt http.RoundTripper) http.RoundTripper { return otelhttp.NewTransport(rt) }})
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
			return struct{}{}, backoff.Permanent(errors.New("the connector URL is not valid"))
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Grantflow-Agent/1")
		stdwebhook.SetHeaders(req.Header, w.Secret, a.TaskID, now().Unix(), body)
		res, err := client.Do(req)
		if err != nil {
			return struct{}{}, withoutURL(err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
		res.Body.Close()
		switch {
		case res.StatusCode >= 200 && res.StatusCode < 300:
			return struct{}{}, nil
		case stdwebhook.IsRedirect(res.StatusCode):
			return struct{}{}, backoff.Permanent(fmt.Errorf("%w: redirect (%d) not followed", ErrRejected, res.StatusCode))
		case res.StatusCode == http.StatusRequestTimeout, res.StatusCode == http.StatusTooManyRequests, res.StatusCode >= 500:
			return struct{}{}, fmt.Errorf("answered %d", res.StatusCode)
		}
		return struct{}{}, backoff.Permanent(fmt.Errorf("%w: answered %d", ErrRejected, res.StatusCode))
	}, backoff.WithBackOff(b), backoff.WithMaxTries(tries), backoff.WithMaxElapsedTime(0))
	return err
}

// withoutURL is a transport error without the URL that net/http puts in it ("Post
// \"https://...?token=...\": ..."): the operation and the cause only.
func withoutURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// FromEnv builds the registry from GRANTFLOW_AGENT_WEBHOOKS ("<app id or name>=<url>,...")
// and GRANTFLOW_AGENT_WEBHOOK_SECRET (and GRANTFLOW_AGENT_WEBHOOK_MAX_TRIES, default 5);
// every other app uses Directory.
//
// The setting is deprecated: set each app's connector through the API (PUT /v1/apps/{id}/connector); this
// fallback remains for apps that have none. allowPrivate is GRANTFLOW_WEBHOOK_ALLOW_PRIVATE.
func FromEnv(getenv func(string) string, allowPrivate bool) (*Registry, error) {
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
		r.Set(app, &Webhook{URL: url, Secret: []byte(secret), MaxTries: uint(tries), AllowPrivate: allowPrivate})
	}
	return r, nil
}
