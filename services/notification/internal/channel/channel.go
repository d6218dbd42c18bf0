package channel

import (
	"context"
	"errors"
)

// Message is what a channel sends: to whom (an email address), with a title and a text.
type Message struct {
	// ID is the message's id: the email's Message-ID, so a receiver can tell a repeat.
	ID    string
	To    string
	Title string
	Text  string
}

// Sender sends one message over one channel and returns the address it used (the email
// address, or the Slack user id).
type Sender interface {
	Send(ctx context.Context, m Message) (address string, err error)
}

// permanent marks an error a retry cannot cure.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// Permanent marks err as one a retry cannot cure.
func Permanent(err error) error { return permanent{err} }

// IsPermanent reports whether err (or what it wraps) was marked Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}
