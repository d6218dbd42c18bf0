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
	_ outbox.Store = (*Store)(nil)
	_ outbox.Waker = (*Store)(nil)
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
	rows, err := s.pool.Query(ctx,
		"SELECT seq, payload FROM outbox WHERE sink = $1 ORDER BY seq LIMIT $2", sink, limit)
	if err != nil {
		return nil, fmt.Errorf("pgoutbox: pending for %s: %w", sink, err)
	}
	events, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*eventsv1.Event, error) {
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

// RelayLock is RelayLock on the store's pool: one relay per sink delivers this schema's
// outbox at a time, across replicas (ordering per source).
func (s *Store) RelayLock(sink string) func(ctx context.Context) (release func(), ok bool, err error) {
	return RelayLock(s.pool, sink)
}

// Wakeups calls wake with the sink of the events appended to this schema's outbox, by any
// process, once their transaction committed, until ctx ends: it LISTENs to the channel
// "outbox.<schema>" that the kit's outbox trigger NOTIFYs (migration 00040). After each
// (re)connection it calls wake("") (anything may have been appended meanwhile).
func (s *Store) Wakeups(ctx context.Context, log *slog.Logger, wake func(sink string)) {
	schema := s.pool.Config().ConnConfig.RuntimeParams["search_path"]
	if schema == "" {
		schema = "public"
	}
	pgstore.Listen(ctx, s.pool, "outbox."+schema, log, wake)
}
