package channel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTP is the email channel's configuration, parsed from GRANTFLOW_SMTP_URL and
// GRANTFLOW_SMTP_FROM.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	// Implicit is TLS from the first byte (smtps://); otherwise STARTTLS when the server
	// offers it.
	Implicit bool
	From     string
	// TLS overrides the TLS configuration (tests: a server's own certificate).
	TLS *tls.Config
	// Timeout bounds one connection and send (default 30s).
	Timeout time.Duration
}

// ParseSMTP reads smtp://user:pass@host:port (STARTTLS when the server offers it; port 587
// by default) or smtps://user:pass@host:port (implicit TLS; port 465 by default), and the
// sender's address.
func ParseSMTP(rawURL, from string) (SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return SMTP{}, errors.New("GRANTFLOW_SMTP_URL: not a URL (want smtp://user:pass@host:port or smtps://...)")
	}
	var c SMTP
	switch u.Scheme {
	case "smtp":
		c.Port = 587
	case "smtps":
		c.Port, c.Implicit = 465, true
	default:
		return SMTP{}, fmt.Errorf("GRANTFLOW_SMTP_URL: scheme %q: want smtp or smtps", u.Scheme)
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return SMTP{}, errors.New("GRANTFLOW_SMTP_URL: no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTP{}, fmt.Errorf("GRANTFLOW_SMTP_URL: port %q", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	if from == "" {
		return SMTP{}, errors.New("GRANTFLOW_SMTP_FROM: required with GRANTFLOW_SMTP_URL (the sender's address)")
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return SMTP{}, fmt.Errorf("GRANTFLOW_SMTP_FROM=%q: not an email address", from)
	}
	c.From = from
	return c, nil
}

// Email sends messages over SMTP, one connection per message.
type Email struct{ c SMTP }

// NewEmail returns the email channel.
func NewEmail(c SMTP) *Email {
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return &Email{c: c}
}

func (e *Email) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(e.c.Port), gomail.WithTimeout(e.c.Timeout)}
	if e.c.Implicit {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if e.c.TLS != nil {
		opts = append(opts, gomail.WithTLSConfig(e.c.TLS))
	}
	if e.c.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(e.c.Username), gomail.WithPassword(e.c.Password))
	}
	return gomail.NewClient(e.c.Host, opts...)
}

// Send mails m to m.To. A recipient the server refuses for good (5xx to RCPT TO) is
// Permanent; anything else (no connection, a temporary refusal, authentication) is the
// channel being down.
func (e *Email) Send(ctx context.Context, m Message) (string, error) {
	if _, err := mail.ParseAddress(m.To); err != nil || m.To == "" {
		return "", Permanent(fmt.Errorf("no usable email address %q", m.To))
	}
	msg := gomail.NewMsg()
	if err := msg.From(e.c.From); err != nil {
		return "", err
	}
	if err := msg.To(m.To); err != nil {
		return "", Permanent(err)
	}
	msg.Subject(m.Title)
	msg.SetDate()
	if m.ID != "" {
		msg.SetMessageIDWithValue(m.ID + "@grantflow")
	} else {
		msg.SetMessageID()
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	c, err := e.client()
	if err != nil {
		return "", err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.Reason == gomail.ErrSMTPRcptTo && !se.IsTemp() && se.ErrorCode() >= 500 {
			return m.To, Permanent(err)
		}
		return m.To, fmt.Errorf("smtp %s: %w", net.JoinHostPort(e.c.Host, strconv.Itoa(e.c.Port)), err)
	}
	return m.To, nil
}
