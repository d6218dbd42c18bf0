package pgoutbox

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// unlockTimeout bounds releasing the lock, which runs after the relay's step, maybe after its
// context ended.
const unlockTimeout = 5 * time.Second

// RelayLock returns a lock for outbox.RelayOptions.Lock: a PostgreSQL session advisory lock
// keyed by (current schema, sink), held on a connection taken from pool for as long as the
// relay holds it. Replicas sharing the database and schema thus deliver a sink one at a time.
// The relay holds one connection while it holds the lock and uses another for its reads:
// give the pool at least two.
//
// If the connection breaks while held, PostgreSQL drops the lock and another replica may start
// delivering before this one notices; receivers dedupe by event id, so the cost is a
// duplicate, not a loss.
func RelayLock(pool *pgxpool.Pool, sink string) func(ctx context.Context) (release func(), ok bool, err error) {
	return func(ctx context.Context) (func(), bool, error) {
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("pgoutbox: relay lock for %s: %w", sink, err)
		}
		var locked bool
		err = conn.QueryRow(ctx,
			"SELECT pg_try_advisory_lock(hashtext(current_schema() || ':' || $1))", sink).Scan(&locked)
		if err != nil || !locked {
			conn.Release()
			if err != nil {
				return nil, false, fmt.Errorf("pgoutbox: relay lock for %s: %w", sink, err)
			}
			return nil, false, nil
		}
		release := func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			var unlocked bool
			err := conn.QueryRow(ctx,
				"SELECT pg_advisory_unlock(hashtext(current_schema() || ':' || $1))", sink).Scan(&unlocked)
			if err != nil || !unlocked {
				// Ending the session is the sure way to drop its locks; the pool then
				// discards the closed connection.
				_ = conn.Conn().Close(ctx)
			}
			conn.Release()
		}
		return release, true, nil
	}
}
