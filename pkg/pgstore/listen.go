package pgstore

import (
	"context"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/grantflow/grantflow/pkg/watch"
)

// Listen runs until ctx ends: it LISTENs on channel over a connection of its own (not one of
// the pool's) and calls fn with the payload of each notification, in the order PostgreSQL
// sends them (NOTIFY is transactional: a notification arrives only after its transaction
// committed). fn runs on the listener's goroutine: keep it short (a watch.Hub's Publish).
//
// A connection that breaks is made again after a backoff; after each (re)connection fn is
// called with the empty payload, meaning "something may have changed while nobody listened":
// a listener re-reads whatever it watches.
func (db *DB) Listen(ctx context.Context, channel string, log *slog.Logger, fn func(payload string)) {
	Listen(ctx, db.pool, channel, log, fn)
}

// Listen is DB.Listen on any pool: the listening connection uses the pool's settings.
func Listen(ctx context.Context, pool *pgxpool.Pool, channel string, log *slog.Logger, fn func(payload string)) {
	Reconnecting(ctx, log, "pgstore: listen "+channel, func(connected func()) error {
		return listenOnce(ctx, pool, channel, fn, connected)
	})
}

// Reconnecting runs session until ctx ends, again after a backoff (100 ms, growing to 5 s)
// each time it returns, logging its error as what broke. session calls connected once its
// connection is up, which resets the backoff.
func Reconnecting(ctx context.Context, log *slog.Logger, what string, session func(connected func()) error) {
	if log == nil {
		log = slog.Default()
	}
	wait := backoff.NewExponentialBackOff()
	wait.InitialInterval, wait.MaxInterval = 100*time.Millisecond, 5*time.Second
	wait.Reset()
	for ctx.Err() == nil {
		err := session(wait.Reset)
		if ctx.Err() != nil {
			return
		}
		log.Warn(what+": connection lost, connecting again", "error", err)
		t := time.NewTimer(wait.NextBackOff())
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

func listenOnce(ctx context.Context, pool *pgxpool.Pool, channel string, fn func(string), connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	connected()
	fn("")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}

// Notified wakes the watchers of keys (a watch.Hub) with what a channel's trigger notifies:
// the keys a payload names; and every key after each (re)connection (Listen's empty
// payload). A service's Store embeds it for Watch and Listen.
type Notified struct {
	db      *DB
	channel string
	keys    func(payload string) []string
	hub     *watch.Hub
}

// NewNotified is the watchers of the keys that channel's payloads name, on db: keys(payload),
// or the payload itself for nil keys.
func NewNotified(db *DB, channel string, keys func(payload string) []string) *Notified {
	if keys == nil {
		keys = func(payload string) []string { return []string{payload} }
	}
	return &Notified{db: db, channel: channel, keys: keys, hub: watch.NewHub()}
}

// Watch subscribes to the changes of key: woken by what Listen hears.
func (n *Notified) Watch(key string) *watch.Watcher { return n.hub.Watch(key) }

// Listen LISTENs to the channel until ctx ends: every committed change, in this process or
// another sharing the database, wakes the watchers of the keys its payload names.
func (n *Notified) Listen(ctx context.Context) {
	n.db.Listen(ctx, n.channel, nil, func(payload string) {
		if payload == "" {
			n.hub.PublishAll()
			return
		}
		for _, key := range n.keys(payload) {
			n.hub.Publish(key)
		}
	})
}
