package pgoutbox

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
)

// Store is the outbox of one service schema as the relay reads it.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ outbox.Store  = (*Store)(nil)
	_ outbox.Waker  = (*Store)(nil)
	_ outbox.Leaser = (*Store)(nil)
)

// NewStore reads the outbox through pool, whose connections use the service schema.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Pending returns up to limit undelivered events of sink in seq order, with SourceSeq set to
// the row's seq. It keeps no cursor: see the package documentation.
func (s *Store) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	if err := outbox.CheckLimit(limit); err != nil {
		return nil, err
	}
	return s.pending(ctx, sink, limit, "SELECT seq, payload FROM outbox WHERE sink = $1 ORDER BY seq LIMIT $2", sink, limit)
}

// PendingIn is Pending restricted to the events of partitions parts (see Partition): what
// the relay of a replica reads, which leases parts (Lease).
func (s *Store) PendingIn(ctx context.Context, sink string, parts []int, limit int) ([]*eventsv1.Event, error) {
	if err := outbox.CheckLimit(limit); err != nil {
		return nil, err
	}
	return s.pending(ctx, sink, limit,
		"SELECT seq, payload FROM outbox WHERE sink = $1 AND part = ANY($2::int[]) ORDER BY seq LIMIT $3", sink, parts, limit)
}

func (s *Store) pending(ctx context.Context, sink string, limit int, query string, args ...any) ([]*eventsv1.Event, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("pgoutbox: pending for %s: %w", sink, err)
	}
	events := make([]*eventsv1.Event, 0, min(limit, 16))
	events, err = pgx.AppendRows(events, rows, func(row pgx.CollectableRow) (*eventsv1.Event, error) {
		var (
			seq     int64
			payload []byte
		)
		if err := row.Scan(&seq, &payload); err != nil {
			return nil, err
		}
		ev := &eventsv1.Event{}
		if err := proto.Unmarshal(payload, ev); err != nil {
			return nil, fmt.Errorf("decode outbox row %d: %w", seq, err)
		}
		ev.SourceSeq = seq
		return ev, nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgoutbox: pending for %s: %w", sink, err)
	}
	return events, nil
}

// Ack deletes the delivered events of sink, by the SourceSeq that Pending set.
func (s *Store) Ack(ctx context.Context, sink string, events []*eventsv1.Event) error {
	if len(events) == 0 {
		return nil
	}
	seqs := make([]int64, len(events))
	for i, ev := range events {
		seqs[i] = ev.GetSourceSeq()
	}
	if _, err := s.pool.Exec(ctx, "DELETE FROM outbox WHERE sink = $1 AND seq = ANY($2)", sink, seqs); err != nil {
		return fmt.Errorf("pgoutbox: ack %d events of %s: %w", len(events), sink, err)
	}
	return nil
}

// schema is the service schema of the pool's connections.
func (s *Store) schema() string {
	if schema := s.pool.Config().ConnConfig.RuntimeParams["search_path"]; schema != "" {
		return schema
	}
	return "public"
}

// Wakeups calls wake with the sink of the events appended to this schema's outbox, by any
// process, once their transaction committed, until ctx ends: it LISTENs to the channel
// "outbox.<schema>" that the kit's outbox trigger NOTIFYs (migration 00040). After each
// (re)connection it calls wake("") (anything may have been appended meanwhile).
func (s *Store) Wakeups(ctx context.Context, log *slog.Logger, wake func(sink string)) {
	pgstore.Listen(ctx, s.pool, "outbox."+s.schema(), log, wake)
}
