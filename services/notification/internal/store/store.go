package store

import (
	"context"
	"time"

	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// The store's errors are the kit's (storekit), under the names the engines use.
var (
	// ErrNotFound is a webhook or delivery that is not stored.
	ErrNotFound = storekit.ErrNotFound
	// ErrConflict is a webhook or delivery id that is already stored.
	ErrConflict = storekit.ErrConflict
)

// EventDeliveries is one received event and the deliveries it makes (possibly none).
type EventDeliveries struct {
	EventID    string
	Deliveries []domain.Delivery
	// Messages are the email and Slack messages the event makes (possibly none); a second
	// one for the same (event, person, channel) is dropped.
	Messages []domain.Message
}

// FinishMessage is the outcome of one attempt to send a message.
type FinishMessage struct {
	ID string
	// Attempt is the attempt count ClaimMessages handed out (fences a stale outcome).
	Attempt int32
	Status  domain.Status
	// Title, Text and Address: what the attempt sent, and where (kept when empty).
	Title, Text, Address string
	LastError            string
	NextAttemptTime      time.Time
	Now                  time.Time
}

// Finish is the outcome of one attempt to record.
type Finish struct {
	ID string
	// Attempt is the attempt count Claim handed out: an outcome for an older attempt (its
	// lease ran out and another dispatcher took the delivery over) is ignored.
	Attempt int32
	Status  domain.Status
	Outcome domain.Outcome
	// NextAttemptTime, for a delivery left Pending.
	NextAttemptTime time.Time
	Now             time.Time
}

// Store is the notification service's storage. Every method is one transaction.
type Store interface {
	// CreateWebhook stores w (its ID set by the caller; Seq set by the store).
	CreateWebhook(ctx context.Context, w domain.Webhook) (domain.Webhook, error)
	GetWebhook(ctx context.Context, id string) (domain.Webhook, error)
	// ListWebhooks returns up to limit subscriptions with Seq > afterSeq, in Seq order.
	ListWebhooks(ctx context.Context, afterSeq int64, limit int) ([]domain.Webhook, error)
	// EnabledWebhooks returns every subscription that is not disabled, in Seq order.
	EnabledWebhooks(ctx context.Context) ([]domain.Webhook, error)
	// UpdateWebhook applies fn to the stored subscription under a lock and stores the
	// result (fn's error aborts, storing nothing).
	UpdateWebhook(ctx context.Context, id string, fn func(*domain.Webhook) error) (domain.Webhook, error)
	// DeleteWebhook removes a subscription and its deliveries.
	DeleteWebhook(ctx context.Context, id string) error

	// Enqueue records each event id not recorded before with its deliveries, all in one
	// transaction, in order; it returns how many events were new. A delivery for a
	// subscription deleted meanwhile is dropped.
	Enqueue(ctx context.Context, events []EventDeliveries) (int, error)
	// AddDelivery stores one delivery outside the fan-out (a ping).
	AddDelivery(ctx context.Context, d domain.Delivery) (domain.Delivery, error)
	// Claim leases up to limit deliveries that are Pending and due at now, the earliest
	// of their (subscription, subject) still pending, oldest first: each gets Attempts+1
	// and NextAttemptTime leaseUntil, so no other Claim hands it out before then.
	Claim(ctx context.Context, now, leaseUntil time.Time, limit int) ([]domain.Job, error)
	// Finish records an attempt's outcome; false when the delivery is gone or was claimed
	// again since (nothing changed).
	Finish(ctx context.Context, f Finish) (bool, error)
	GetDelivery(ctx context.Context, webhookID, id string) (domain.Delivery, error)
	// ListDeliveries returns up to limit deliveries of a subscription with Seq < beforeSeq
	// (0: from the newest), newest first.
	ListDeliveries(ctx context.Context, webhookID string, beforeSeq int64, limit int) ([]domain.Delivery, error)
	// Redeliver makes a delivery Pending again, due at now, with the retry window
	// retryUntil; its attempts and body are kept.
	Redeliver(ctx context.Context, webhookID, id string, now, retryUntil time.Time) (domain.Delivery, error)
	// NextDue returns the earliest NextAttemptTime of a Pending delivery (ok false: none).
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)
	// PruneDeliveries deletes up to limit finished deliveries (SUCCEEDED or FAILED) last
	// updated before before, oldest first, and returns how many it deleted. Pending ones are
	// never pruned.
	PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error)

	// ClaimMessages leases up to limit messages that are Pending and due at now, oldest
	// first: each gets Attempts+1 and NextAttemptTime leaseUntil.
	ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]domain.Message, error)
	// FinishMessage records an attempt's outcome; false when the message was claimed again
	// since (nothing changed). A Succeeded message gets SendTime Now.
	FinishMessage(ctx context.Context, f FinishMessage) (bool, error)
	// NextMessageDue returns the earliest NextAttemptTime of a Pending message (ok false:
	// none).
	NextMessageDue(ctx context.Context) (t time.Time, ok bool, err error)
	// ListMessages returns up to limit messages with Seq < beforeSeq (0: from the newest),
	// newest first: userID's, or everyone's when userID is empty.
	ListMessages(ctx context.Context, userID string, beforeSeq int64, limit int) ([]domain.Message, error)

	// Settings returns the stored settings of each of userIDs that has any (the others
	// are absent: they follow the defaults).
	Settings(ctx context.Context, userIDs []string) (map[string]domain.Settings, error)
	// UpdateSettings applies fn to userID's settings (zero Settings with UserID set when
	// none are stored) under a lock and stores the result.
	UpdateSettings(ctx context.Context, userID string, fn func(*domain.Settings) error) (domain.Settings, error)

	Ping(ctx context.Context) error
	Close()
}
