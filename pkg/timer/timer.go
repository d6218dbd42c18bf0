package timer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Timer is one durable timer.
type Timer struct {
	// Key is unique in the service's store: scheduling a key again replaces its timer
	// ("task.due:ID", "access.expiry:USER:APP").
	Key string
	// Kind names the handler that fires it ("task.due").
	Kind string
	// FireAt is when it is due.
	FireAt time.Time
	// Payload is the handler's own data (often empty: the key says enough).
	Payload []byte
	// Attempts counts the firings that failed so far (each postponed the timer).
	Attempts int
}

// Validate reports what makes t unschedulable in every engine.
func (t Timer) Validate() error {
	switch {
	case t.Key == "":
		return errors.New("timer: empty key")
	case t.Kind == "":
		return fmt.Errorf("timer %s: empty kind", t.Key)
	case t.FireAt.IsZero():
		return fmt.Errorf("timer %s: no fire time", t.Key)
	}
	return nil
}

// Scheduler sets and removes timers inside a transaction of a service's store: they commit
// or roll back with it. A service's store.Tx implements it.
type Scheduler interface {
	// Schedule sets t, replacing the timer with the same key if there is one.
	Schedule(ctx context.Context, t Timer) error
	// Cancel removes the timer key; a key without a timer is no error.
	Cancel(ctx context.Context, key string) error
}

// Store is a service's store as the Runner sees it; Tx is the service's transaction type.
type Store[Tx any] interface {
	// FireDue runs one transaction of the service's store: it takes up to limit timers due
	// at now (FireAt <= now), earliest first, leaving out those another transaction holds;
	// removes them; calls fire for each, in that same transaction; and commits. When fire
	// fails, everything rolls back (the timers stay) and FireDue returns a *FireError
	// naming the timer. It returns how many timers it fired.
	FireDue(ctx context.Context, now time.Time, limit int, fire func(ctx context.Context, tx Tx, t Timer) error) (int, error)
	// Postpone moves the timer key that was due at dueAt to at and counts a failed attempt.
	// A timer that was replaced or removed meanwhile is left alone.
	Postpone(ctx context.Context, key string, dueAt, at time.Time) error
}

// FireError is a handler's failure on one timer: its transaction rolled back.
type FireError struct {
	Timer Timer
	Err   error
}

func (e *FireError) Error() string {
	return fmt.Sprintf("timer %s (%s): %v", e.Timer.Key, e.Timer.Kind, e.Err)
}

func (e *FireError) Unwrap() error { return e.Err }

// Fire calls fire on each timer of due, in order, in the transaction tx the engine took them
// in, and answers how many fired: all of them, or none and the first error, as a *FireError
// (the engine's transaction then ends without effect).
func Fire[Tx any](ctx context.Context, tx Tx, due []Timer, fire func(context.Context, Tx, Timer) error) (int, error) {
	for _, t := range due {
		if err := fire(ctx, tx, t); err != nil {
			return 0, &FireError{Timer: t, Err: err}
		}
	}
	return len(due), nil
}

// SortDue orders timers as they fire: earliest first, then by key.
func SortDue(ts []Timer) {
	slices.SortFunc(ts, func(a, b Timer) int {
		if c := a.FireAt.Compare(b.FireAt); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}
