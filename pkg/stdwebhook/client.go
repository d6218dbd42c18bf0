package stdwebhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrForbiddenAddress is a connection refused because the address it would reach is
// loopback, private, link-local or reserved.
var ErrForbiddenAddress = errors.New("webhook: address not allowed")

// ClientOptions configure NewHTTPClient.
type ClientOptions struct {
	// AllowPrivate lifts the address rules (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1:
	// development and tests).
	AllowPrivate bool
	// Timeout bounds one call, answer included (default 10s).
	Timeout time.Duration
	// Resolve, when set, replaces DNS (tests: a name that resolves to loopback). The
	// addresses it returns are checked like any other.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	// Transport, when set, replaces the guarded transport (AllowPrivate tests that need a
	// TLS test server's client). Its connections are not checked.
	Transport http.RoundTripper
	// Wrap, when set, wraps the transport (tracing).
	Wrap func(http.RoundTripper) http.RoundTripper
}

// NewHTTPClient returns a client whose every connection is checked after DNS (unless
// AllowPrivate), that uses no proxy and never follows a redirect: a 3xx is the answer.
func NewHTTPClient(o ClientOptions) *http.Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
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
	if o.Wrap != nil {
		rt = o.Wrap(rt)
	}
	return &http.Client{
		Transport:     rt,
		Timeout:       o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// IsRedirect reports whether an answer is a redirect (which NewHTTPClient's clients do not
// follow).
func IsRedirect(status int) bool { return status >= 300 && status < 400 }

// refusePrivate is the dialer's Control: it runs on every connection, after DNS, with the
// address being connected to.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrForbiddenAddress, address, err)
	}
	if !IsPublic(ap.Addr()) {
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
