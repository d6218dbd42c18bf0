package messagingtest

import (
	"crypto/tls"
	"errors"
	"io"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// SMTPUser and SMTPPassword are the credentials the SMTP server accepts.
const (
	SMTPUser     = "grantflow"
	SMTPPassword = "s3cret"
)

// Mail is one email the SMTP server accepted, for one recipient.
type Mail struct {
	From, To string
	// Subject and Body are decoded (the header unfolded, the text out of quoted-printable).
	Subject, Body string
	// Raw is the message as it came.
	Raw string
	// TLS: the message came over TLS (STARTTLS).
	TLS bool
}

// SMTPServer offers STARTTLS and AUTH PLAIN (only over TLS) and requires both; while Down
// it refuses mail with 451 (a temporary failure).
type SMTPServer struct {
	// Addr is host:port.
	Addr string
	// ClientTLS trusts the server's certificate (for 127.0.0.1).
	ClientTLS *tls.Config
	// Down makes the server refuse mail (451) while true.
	Down atomic.Bool
	// Refused counts the messages refused while down.
	Refused atomic.Int32

	// plain: no TLS and no authentication (NewPlainSMTPServer).
	plain bool

	mu  sync.Mutex
	got []Mail
}

// URL is the server's smtp:// URL, with its credentials unless the server is plain.
func (s *SMTPServer) URL() string {
	if s.plain {
		return "smtp://" + s.Addr
	}
	return "smtp://" + SMTPUser + ":" + SMTPPassword + "@" + s.Addr
}

// Mails returns what the server accepted so far.
func (s *SMTPServer) Mails() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// NewSMTPServer starts a server on 127.0.0.1 that stops when t ends.
func NewSMTPServer(t testing.TB) *SMTPServer { return newSMTPServer(t, false) }

// NewPlainSMTPServer starts a server that offers neither STARTTLS nor AUTH and takes mail
// from anyone: for a process whose TLS trust the test cannot set.
func NewPlainSMTPServer(t testing.TB) *SMTPServer { return newSMTPServer(t, true) }

func newSMTPServer(t testing.TB, plain bool) *SMTPServer {
	t.Helper()
	// httptest's certificate is valid for 127.0.0.1, and its client trusts it.
	certs := httptest.NewTLSServer(http.NotFoundHandler())
	cert := certs.TLS.Certificates[0]
	s := &SMTPServer{ClientTLS: certs.Client().Transport.(*http.Transport).TLSClientConfig.Clone(), plain: plain}
	s.ClientTLS.ServerName = "127.0.0.1"
	certs.Close()
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil }))
	srv.Domain = "localhost"
	if !plain {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = lis.Addr().String()
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

type session struct {
	s      *SMTPServer
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != SMTPUser || pass != SMTPPassword {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if _, tls := s.conn.TLSConnectionState(); !s.s.plain && (!tls || !s.authed) {
		return smtp.ErrAuthRequired
	}
	if s.s.Down.Load() {
		s.s.Refused.Add(1)
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Mail{From: s.from, Raw: string(raw)}
	_, m.TLS = s.conn.TLSConnectionState()
	if msg, err := mail.ReadMessage(strings.NewReader(m.Raw)); err == nil {
		m.Subject = msg.Header.Get("Subject")
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		m.Body = string(body)
	}
	s.s.mu.Lock()
	defer s.s.mu.Unlock()
	for _, to := range s.to {
		m.To = to
		s.s.got = append(s.s.got, m)
	}
	return nil
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
