package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/stdwebhook"
	"github.com/grantflow/grantflow/services/notification/internal/webhook"
)

// verify checks a delivery the way the Standard Webhooks specification tells a receiver
// to, written from the specification's text and not from the sender's code: strip
// "whsec_" and base64-decode the secret; the signed content is "{webhook-id}.{webhook-
// timestamp}.{body}"; the header holds space-separated "v1,<base64 HMAC-SHA256>" entries,
// one of which must match in constant time; the timestamp must be within 5 minutes.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return fmt.Errorf("secret: %v", err)
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s too far from now", ts)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := mac.Sum(nil)
	for _, entry := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no matching v1 signature")
}

func TestSendIsVerifiable(t *testing.T) {
	secretBytes := stdwebhook.NewSecret()
	secret := stdwebhook.FormatSecret(secretBytes)
	type got struct {
		h    http.Header
		body []byte
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{r.Header.Clone(), b}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c := webhook.NewClient(webhook.Options{AllowPrivate: true})
	body := []byte(`{"type":"request.created","timestamp":"2026-12-02T08:00:00Z","data":{}}`)
	o := c.Send(t.Context(), srv.URL, secretBytes, "evt_1", body)
	if !o.Delivered() || o.StatusCode != 204 {
		t.Fatalf("outcome %+v, want 204 delivered", o)
	}
	g := <-ch
	if err := verify(secret, g.h, g.body, time.Now()); err != nil {
		t.Fatalf("the receiver's verifier refused the delivery: %v", err)
	}
	if g.h.Get("webhook-id") != "evt_1" || string(g.body) != string(body) || g.h.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v body %s", g.h, g.body)
	}
	// The verifier is not a rubber stamp: a changed body or another key fails.
	if verify(secret, g.h, append(g.body, ' '), time.Now()) == nil {
		t.Fatal("a changed body verified")
	}
	if verify(stdwebhook.FormatSecret(stdwebhook.NewSecret()), g.h, g.body, time.Now()) == nil {
		t.Fatal("another secret verified")
	}
}

// guarded is a client with the address rules on; its resolver maps names of the test to
// addresses (the hook stands in for DNS), everything else fails to resolve.
func guarded(hosts map[string]string) *webhook.Client {
	return webhook.NewClient(webhook.Options{
		Timeout: 30 * time.Second,
		Resolve: func(_ context.Context, host string) ([]netip.Addr, error) {
			if ip, err := netip.ParseAddr(host); err == nil {
				return []netip.Addr{ip}, nil
			}
			if a, ok := hosts[host]; ok {
				return []netip.Addr{netip.MustParseAddr(a)}, nil
			}
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		},
	})
}

// TestSSRFRefusals: the checks run on the connection, so a listener that would answer is
// never reached.
func TestSSRFRefusals(t *testing.T) {
	reached := make(chan string, 10)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached <- r.Host
	}), ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	c := guarded(map[string]string{"loopback.example.test": "127.0.0.1", "metadata.example.test": "169.254.169.254", "ten.example.test": "10.1.2.3"})
	for name, target := range map[string]string{
		"loopback":                   "https://127.0.0.1:" + port + "/hook",
		"loopback IPv6":              "https://[::1]:" + port + "/hook",
		"10.0.0.0/8":                 "https://10.0.0.1:" + port + "/hook",
		"metadata address":           "https://169.254.169.254/latest/meta-data/",
		"name resolving to loopback": "https://loopback.example.test:" + port + "/hook",
		"name resolving to metadata": "https://metadata.example.test/latest/meta-data/",
		"name resolving to 10/8":     "https://ten.example.test/hook",
	} {
		t.Run(name, func(t *testing.T) {
			o := c.Send(t.Context(), target, []byte("k"), "evt", []byte("{}"))
			if o.Delivered() || o.StatusCode != 0 || !strings.Contains(o.Err, "address not allowed") {
				t.Fatalf("outcome %+v, want a refused address", o)
			}
		})
	}
	// localhost through the real resolver (the hosts file) is refused the same way.
	real := webhook.NewClient(webhook.Options{Timeout: 30 * time.Second})
	if o := real.Send(t.Context(), "https://localhost:"+port+"/hook", []byte("k"), "evt", []byte("{}")); o.Delivered() || !strings.Contains(o.Err, "address not allowed") {
		t.Fatalf("localhost: outcome %+v, want a refused address", o)
	}
	if o := real.Send(t.Context(), "http://hooks.example.com/hook", []byte("k"), "evt", []byte("{}")); o.Delivered() || !strings.Contains(o.Err, "https") {
		t.Fatalf("http: outcome %+v, want https only", o)
	}
	select {
	case h := <-reached:
		t.Fatalf("a refused delivery reached the listener (Host %s)", h)
	default:
	}
}

// TestNoRedirects: a 3xx is the answer and is not followed, even with the address rules
// lifted.
func TestNoRedirects(t *testing.T) {
	followed := make(chan struct{}, 1)
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed <- struct{}{} }))
	defer target.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	c := webhook.NewClient(webhook.Options{AllowPrivate: true})
	o := c.Send(t.Context(), redirector.URL, []byte("k"), "evt", []byte("{}"))
	if o.Delivered() || o.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(o.Err, "redirect") {
		t.Fatalf("outcome %+v, want the 307 as a failed attempt", o)
	}
	select {
	case <-followed:
		t.Fatal("the redirect was followed")
	default:
	}
}
