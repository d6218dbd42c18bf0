package domain

import "time"

// Status is a delivery's state.
type Status int

const (
	StatusUnspecified Status = iota
	// Pending: not delivered yet; the next attempt is due at NextAttemptTime.
	Pending
	// Succeeded: a receiver answered 2xx.
	Succeeded
	// Failed: the retry window closed without a 2xx answer.
	Failed
)

func (s Status) String() string {
	switch s {
	case Pending:
		return "PENDING"
	case Succeeded:
		return "SUCCEEDED"
	case Failed:
		return "FAILED"
	}
	return "STATUS_UNSPECIFIED"
}

// ParseStatus is the inverse of String.
func ParseStatus(s string) Status {
	switch s {
	case "PENDING":
		return Pending
	case "SUCCEEDED":
		return Succeeded
	case "FAILED":
		return Failed
	}
	return StatusUnspecified
}

// Delivery is one event on its way to one subscription. Body is fixed when the event is
// fanned out, so every attempt sends the same bytes under the same webhook-id (EventID).
type Delivery struct {
	ID        string
	WebhookID string
	EventID   string
	EventType string
	// Subject orders deliveries: those of one subject to one subscription go out one at a
	// time, in Seq order.
	Subject string
	// Seq is the store's order of deliveries (the order events were received).
	Seq  int64
	Body []byte

	Status         Status
	Attempts       int32
	LastStatusCode int32
	LastError      string
	// NextAttemptTime is when the next attempt is due (Pending), or, while an attempt is
	// under way, when a dispatcher may take it over (the lease ends).
	NextAttemptTime time.Time
	// RetryUntil closes the retry window: a failed attempt at or after it makes the
	// delivery Failed.
	RetryUntil time.Time
	CreateTime time.Time
	UpdateTime time.Time
}

// Job is a delivery claimed for an attempt, with where and how to send it.
type Job struct {
	Delivery
	URL    string
	Secret []byte
}

// Outcome is the result of one attempt.
type Outcome struct {
	// StatusCode is the HTTP status of the answer (0: none).
	StatusCode int32
	// Err says why the attempt failed without a 2xx answer (empty on success).
	Err string
}

// Delivered reports whether the attempt succeeded: a 2xx answer.
func (o Outcome) Delivered() bool { return o.StatusCode >= 200 && o.StatusCode < 300 }
