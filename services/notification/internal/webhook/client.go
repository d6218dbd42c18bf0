package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// ErrForbiddenAddress is a connection refused because the address it would reach is
// loopback, private, link-local or reserved.
var ErrForbiddenAddress = stdwebhook.ErrForbiddenAddress

// Options configure a Client.
type Options struct {
	// AllowPrivate lifts the address rules and the https-only rule
	// (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1: development and tests).
	AllowPrivate bool
	// Timeout bounds one attempt, answer included (default 10s).
	Timeout time.Duration
	// Resolve, when set, replaces DNS (tests: a name that resolves to loopback). The
	// addresses it returns are checked like any other.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Now is the clock of webhook-timestamp (default time.Now).
	Now func() time.Time
	// Transport, when set, replaces the guarded transport (AllowPrivate tests that need a
	// TLS test server's client). Its connections are not checked.
	Transport http.RoundTripper
}

// Client posts deliveries.
type Client struct {
	http         *http.Client
	allowPrivate bool
	now          func() time.Time
	agent        string
}

// UserAgent is sent on every delivery.
const UserAgent = "Grantflow-Webhooks/1"

// NewClient returns a client that applies o: the guarded client of package stdwebhook
// (every connection checked after DNS, no proxy, no redirects).
func NewClient(o Options) *Client {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Client{
		http:         stdwebhook.NewHTTPClient(stdwebhook.ClientOptions{AllowPrivate: o.AllowPrivate, Timeout: o.Timeout, Resolve: o.Resolve, Transport: o.Transport}),
		allowPrivate: o.AllowPrivate,
		now:          o.Now,
		agent:        UserAgent,
	}
}

// Send posts body to target as message id, signed with secret, and reports the outcome:
// a 2xx answer is delivered; anything else (another status, a refused address, a
// timeout) is not, with the reason.
func (c *Client) Send(ctx context.Context, target string, secret []byte, id string, body []byte) domain.Outcome {
	u, err := url.Parse(target)
	if err != nil {
		return domain.Outcome{Err: "bad URL: " + err.Error()}
	}
	if u.Scheme != "https" && !(c.allowPrivate && u.Scheme == "http") {
		return domain.Outcome{Err: "the URL's scheme must be https"}
	}
	ts := c.now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return domain.Outcome{Err: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.agent)
	stdwebhook.SetHeaders(req.Header, secret, id, ts, body)
	resp, err := c.http.Do(req)
	if err != nil {
		return domain.Outcome{Err: describe(err)}
	}
	// Read a little of the answer so the connection can be reused; receivers' bodies are
	// not kept.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	o := domain.Outcome{StatusCode: int32(resp.StatusCode)}
	switch {
	case o.Delivered():
	case stdwebhook.IsRedirect(resp.StatusCode):
		o.Err = fmt.Sprintf("redirect (%d) not followed", resp.StatusCode)
	default:
		o.Err = fmt.Sprintf("answered %d", resp.StatusCode)
	}
	return o
}

func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	const max = 500
	s := err.Error()
	if len(s) > max {
		s = s[:max]
	}
	return s
}
