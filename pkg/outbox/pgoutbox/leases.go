package pgoutbox

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
)

// Partitions is how many partitions each sink's outbox is spread over. It is part of the
// stored data (the part column): changing it moves subjects between partitions, so it may
// change only with the outboxes drained.
const Partitions = 16

// LeaseInterval is how often Lease looks at who shares the sinks and takes or hands over
// partitions: the most a dead replica's partitions wait for a survivor (once PostgreSQL has
// ended its session), and about half of what a new replica waits for its share.
const LeaseInterval = time.Second

// memberKey is the second key of the shared advisory lock that every process leasing a sink
// holds (the first is the sink's key): pg_locks lists the members by it. Partitions use
// 0..Partitions-1.
const memberKey = 1 << 30

// Partition is the partition of the events of subject: FNV-1a of the subject modulo
// Partitions. All the events of one subject are in one partition, which one relay delivers
// at a time in seq order: commit order per subject holds across replicas.
func Partition(subject string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(subject))
	return int(h.Sum32() % Partitions)
}

// sinkKey is the first key of the advisory locks of sink in schema.
func sinkKey(schema, sink string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(schema + ":" + sink))
	return int32(h.Sum32())
}

// Lease implements outbox.Leaser with PostgreSQL session advisory locks, held on a
// connection of its own (not the pool's) for as long as it runs:
//
//   - every process leasing a sink of this schema holds the sink's member lock in shared
//     mode; pg_locks lists the members, ranked by backend pid;
//   - the member of rank r among n wants the partitions p with p mod n = r, and holds each
//     as an exclusive lock (sink key, p) while it delivers it.
//
// Every LeaseInterval, one statement reads the members (pg_locks); when they changed, a
// process stops reading the partitions it no longer wants at once and unlocks them at the
// next look (so that the batch it was delivering is acked first), and tries the locks of
// those it wants, which it gets once their former holder let go. A process that dies loses
// its session, and PostgreSQL drops its locks: the survivors see it gone at their next look
// and take its partitions over. Steady state costs that one statement per second, and no
// round trip per batch. Should the connection break, Lease reports no partitions for every
// sink, connects again after a backoff and joins anew.
//
// Two processes may deliver one partition for a moment (the former holder's last batch, or
// a session PostgreSQL has not yet noticed is dead): receivers dedupe by event id, so that
// costs a duplicate delivery, never a loss or a reordering (each relay delivers what is
// undelivered in seq order).
func (s *Store) Lease(ctx context.Context, log *slog.Logger, sinks []string, owned func(sink string, parts []int)) {
	pgstore.Reconnecting(ctx, log, "pgoutbox: lease", func(connected func()) error {
		return s.leaseOnce(ctx, sinks, owned, connected)
	})
}

// sinkLease is what one connection holds of one sink.
type sinkLease struct {
	name      string
	key       int32
	held      []int // partitions locked and delivered
	releasing []int // locked, no longer delivered: unlocked at the next look
}

func (s *Store) leaseOnce(ctx context.Context, sinks []string, owned func(string, []int), connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		for _, sink := range sinks {
			owned(sink, nil) // the relays stop first: the locks go with the session
		}
		closeCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	schema := s.schema()
	leases := make([]*sinkLease, len(sinks))
	keys := make([]int32, len(sinks))
	for i, sink := range sinks {
		leases[i] = &sinkLease{name: sink, key: sinkKey(schema, sink)}
		keys[i] = leases[i].key
	}
	// The shared member locks, all at once; shared locks are always granted (nobody takes
	// them exclusively).
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock_shared(k, $2) FROM unnest($1::int4[]) k", keys, memberKey); err != nil {
		return fmt.Errorf("join: %w", err)
	}
	connected()
	pid := conn.PgConn().PID()
	tick := time.NewTicker(LeaseInterval)
	defer tick.Stop()
	for {
		members, err := leaseMembers(ctx, conn, keys)
		if err != nil {
			return fmt.Errorf("read members: %w", err)
		}
		for _, l := range leases {
			if err := l.rebalance(ctx, conn, members[uint32(l.key)], pid, owned); err != nil {
				return fmt.Errorf("rebalance %s: %w", l.name, err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// leaseMembers returns the pids of the processes holding the member lock of each key (as
// pg_locks shows it: unsigned), in ascending order.
func leaseMembers(ctx context.Context, conn *pgx.Conn, keys []int32) (map[uint32][]uint32, error) {
	rows, err := conn.Query(ctx, `SELECT classid::int8, pid FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 2 AND objid = $1 AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		ORDER BY pid`, memberKey)
	if err != nil {
		return nil, err
	}
	members := map[uint32][]uint32{}
	var key int64
	var pid int32
	_, err = pgx.ForEachRow(rows, []any{&key, &pid}, func() error {
		members[uint32(key)] = append(members[uint32(key)], uint32(pid))
		return nil
	})
	return members, err
}

// rebalance moves l toward its share among members: unlocks what it stopped delivering at
// the last look, stops delivering what it no longer wants, tries the locks of what it wants.
func (l *sinkLease) rebalance(ctx context.Context, conn *pgx.Conn, members []uint32, pid uint32, owned func(string, []int)) error {
	rank := slices.Index(members, pid)
	if rank < 0 {
		return errors.New("this session is not among the members")
	}
	want := make([]int, 0, Partitions)
	for p := rank; p < Partitions; p += len(members) {
		want = append(want, p)
	}
	var unlock []int
	for _, p := range l.releasing {
		if slices.Contains(want, p) {
			l.held = append(l.held, p) // wanted again: still locked
		} else {
			unlock = append(unlock, p)
		}
	}
	l.releasing = nil
	if len(unlock) > 0 {
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_unlock($1, p) FROM unnest($2::int4[]) p", l.key, unlock); err != nil {
			return err
		}
	}
	changed := false
	kept := l.held[:0]
	for _, p := range l.held {
		if slices.Contains(want, p) {
			kept = append(kept, p)
		} else {
			l.releasing = append(l.releasing, p)
			changed = true
		}
	}
	l.held = kept
	var try []int
	for _, p := range want {
		if !slices.Contains(l.held, p) {
			try = append(try, p)
		}
	}
	if len(try) > 0 {
		rows, err := conn.Query(ctx, "SELECT p FROM unnest($2::int4[]) p WHERE pg_try_advisory_lock($1, p)", l.key, try)
		if err != nil {
			return err
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		for _, p := range got {
			l.held = append(l.held, int(p))
			changed = true
		}
	}
	if changed {
		slices.Sort(l.held)
		owned(l.name, slices.Clone(l.held))
	}
	return nil
}
