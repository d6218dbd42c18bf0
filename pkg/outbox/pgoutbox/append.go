package pgoutbox

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
)

// Append writes ev to the outbox of tx's schema, one row per sink, in the partition of its
// subject (Partition). It fills ev's Id and Time
// when empty (outbox.Stamp). The rows commit or roll back with tx. A sink that still holds an
// undelivered event with the same id makes it fail (unique violation).
func Append(ctx context.Context, tx pgx.Tx, sinks []string, ev *eventsv1.Event) error {
	if err := outbox.CheckAppend(sinks, ev); err != nil {
		return err
	}
	outbox.Stamp(ev)
	payload, err := proto.Marshal(ev)
	if err != nil {
		return fmt.Errorf("pgoutbox: marshal event %s: %w", ev.Id, err)
	}
	_, err = tx.Exec(ctx,
		"INSERT INTO outbox (sink, event_id, payload, part) SELECT unnest($1::text[]), $2, $3, $4",
		sinks, ev.Id, payload, Partition(ev.GetSubject()))
	if err != nil {
		return fmt.Errorf("pgoutbox: append event %s: %w", ev.Id, err)
	}
	return nil
}

// Retract deletes, in tx, the undelivered event eventID of sink that an earlier transaction
// appended, once it is no longer needed (a work item whose work tx did). An event that was
// delivered already, or never appended, is no error.
func Retract(ctx context.Context, tx pgx.Tx, sink, eventID string) error {
	if _, err := tx.Exec(ctx, "DELETE FROM outbox WHERE sink = $1 AND event_id = $2", sink, eventID); err != nil {
		return fmt.Errorf("pgoutbox: retract event %s of %s: %w", eventID, sink, err)
	}
	return nil
}

// MarkProcessed records, in tx, that the receiver applies eventID, and reports whether it is
// new. false means the event was applied before (or earlier in tx): skip it. A concurrent
// transaction marking the same id waits for this one and then gets false.
func MarkProcessed(ctx context.Context, tx pgx.Tx, eventID string) (isNew bool, err error) {
	tag, err := tx.Exec(ctx,
		"INSERT INTO processed_events (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING", eventID)
	if err != nil {
		return false, fmt.Errorf("pgoutbox: mark event %s processed: %w", eventID, err)
	}
	return tag.RowsAffected() == 1, nil
}
