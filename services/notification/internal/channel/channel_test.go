package channel_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/grantflow/grantflow/services/notification/internal/channel"
)

func TestParseSMTP(t *testing.T) {
	for _, c := range []struct {
		url, from string
		want      channel.SMTP
		err       string
	}{
		{"smtp://u:p%40ss@mail.example.com:2525", "gf@example.com", channel.SMTP{Host: "mail.example.com", Port: 2525, Username: "u", Password: "p@ss", From: "gf@example.com"}, ""},
		{"smtp://mail.example.com", "Grantflow <gf@example.com>", channel.SMTP{Host: "mail.example.com", Port: 587, From: "Grantflow <gf@example.com>"}, ""},
		{"smtps://u:p@mail.example.com", "gf@example.com", channel.SMTP{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", Implicit: true, From: "gf@example.com"}, ""},
		{"ftp://mail.example.com", "gf@example.com", channel.SMTP{}, "GRANTFLOW_SMTP_URL: scheme"},
		{"smtp://:25", "gf@example.com", channel.SMTP{}, "GRANTFLOW_SMTP_URL: no host"},
		{"smtp://mail.example.com:99999", "gf@example.com", channel.SMTP{}, "GRANTFLOW_SMTP_URL: port"},
		{"smtp://mail.example.com", "", channel.SMTP{}, "GRANTFLOW_SMTP_FROM: required"},
		{"smtp://mail.example.com", "not an address", channel.SMTP{}, "GRANTFLOW_SMTP_FROM="},
		{"://", "gf@example.com", channel.SMTP{}, "GRANTFLOW_SMTP_URL: not a URL"},
	} {
		got, err := channel.ParseSMTP(c.url, c.from)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q %q: error %v, want %q", c.url, c.from, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q %q = %+v %v, want %+v", c.url, c.from, got, err, c.want)
		}
	}
}

func TestParseSlack(t *testing.T) {
	if c, err := channel.ParseSlack("xoxb-1", "http://127.0.0.1:1/api"); err != nil || c.APIURL != "http://127.0.0.1:1/api/" {
		t.Errorf("ParseSlack = %+v %v", c, err)
	}
	if c, err := channel.ParseSlack("xoxb-1", ""); err != nil || c.APIURL != "" {
		t.Errorf("ParseSlack = %+v %v", c, err)
	}
	for _, bad := range [][2]string{{"", "https://slack.example.com/api/"}, {"xoxb 1", ""}, {"xoxb-1", "ftp://x"}, {"xoxb-1", "not a url"}} {
		if _, err := channel.ParseSlack(bad[0], bad[1]); err == nil {
			t.Errorf("ParseSlack(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

// session is an SMTP session of the tests: it refuses the recipient nobody@ for good.
type session struct {
	mu  *sync.Mutex
	got *[]string
}

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody@") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	*s.got = append(*s.got, string(b))
	return err
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// TestEmailImplicitTLS: smtps:// speaks TLS from the first byte; a mailbox the server
// refuses for good is Permanent, and a server that is gone is not.
func TestEmailImplicitTLS(t *testing.T) {
	certs := httptest.NewTLSServer(http.NotFoundHandler())
	cert := certs.TLS.Certificates[0]
	client := certs.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	certs.Close()
	var mu sync.Mutex
	var got []string
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{mu: &mu, got: &got}, nil }))
	srv.Domain = "localhost"
	lis, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Close()

	c, err := channel.ParseSMTP("smtps://"+lis.Addr().String(), "gf@example.com")
	if err != nil {
		t.Fatal(err)
	}
	client.ServerName = "127.0.0.1"
	c.TLS = client
	e := channel.NewEmail(c)
	addr, err := e.Send(context.Background(), channel.Message{ID: "m1", To: "uma@example.com", Title: "Hello", Text: "text"})
	if err != nil || addr != "uma@example.com" {
		t.Fatalf("Send = %q %v", addr, err)
	}
	mu.Lock()
	if len(got) != 1 || !strings.Contains(got[0], "Message-ID: <m1@grantflow>") || !strings.Contains(got[0], "Subject: Hello") {
		t.Errorf("received %q", got)
	}
	mu.Unlock()
	_, err = e.Send(context.Background(), channel.Message{ID: "m2", To: "nobody@example.com", Title: "Hello", Text: "text"})
	if err == nil || !channel.IsPermanent(err) {
		t.Errorf("a refused mailbox: %v, want a permanent error", err)
	}
	if _, err := e.Send(context.Background(), channel.Message{To: "bad address"}); !channel.IsPermanent(err) {
		t.Errorf("no usable address: %v, want a permanent error", err)
	}

	// A server that is not there: the channel is down, not the message wrong.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := l.Addr().String()
	l.Close()
	c2, _ := channel.ParseSMTP("smtps://"+gone, "gf@example.com")
	_, err = channel.NewEmail(c2).Send(context.Background(), channel.Message{To: "uma@example.com", Title: "x", Text: "y"})
	if err == nil || channel.IsPermanent(err) {
		t.Errorf("a server that is gone: %v, want a temporary error", err)
	}
}
