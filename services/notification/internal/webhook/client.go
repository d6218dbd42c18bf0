package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// ErrForbiddenAddress is a connection refused because the address it would reach is
// loopback, private, link-local or reserved.
var ErrForbiddenAddress = errors.New("webhook: address not allowed")

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

// NewClient returns a client that applies o.
func NewClient(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	rt := o.Transport
	if rt == nil {
		dialer := &net.Dialer{Timeout: o.Timeout, KeepAlive: 30 * time.Second}
		if !o.AllowPrivate {
			dialer.Control = refusePrivate
		}
		dial := dialer.DialContext
		if o.Resolve != nil {
			dial = resolvingDial(dialer, o.Resolve)
		}
		rt = &http.Transport{
			Proxy:                 nil, // a proxy would make the address check meaningless
			DialContext:           dial,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   10,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   o.Timeout,
			ResponseHeaderTimeout: o.Timeout,
		}
	}
	return &Client{
		http: &http.Client{
			Transport: rt,
			Timeout:   o.Timeout,
			// Redirects are not followed: the 3xx is the answer, and not a 2xx.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		allowPrivate: o.AllowPrivate,
		now:          o.Now,
		agent:        UserAgent,
	}
}

// refusePrivate is the dialer's Control: it runs on every connection, after DNS, with the
// address being connected to.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrForbiddenAddress, address, err)
	}
	if !domain.IsPublic(ap.Addr()) {
		return fmt.Errorf("%w: %s is loopback, private, link-local or reserved", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// resolvingDial dials through resolve instead of DNS; the dialer's Control still checks
// each address.
func resolvingDial(d *net.Dialer, resolve func(context.Context, string) ([]netip.Addr, error)) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, address string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(address)
		if err != nil {
			return nil, err
		}
		addrs, err := resolve(ctx, host)
		if err != nil {
			return nil, err
		}
		var last error = fmt.Errorf("no address for %s", host)
		for _, a := range addrs {
			c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
			if err == nil {
				return c, nil
			}
			last = err
		}
		return nil, last
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
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, Sign(secret, id, ts, body))
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
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
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
