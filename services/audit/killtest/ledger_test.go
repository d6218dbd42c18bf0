package killtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/grantflow/grantflow/pkg/events"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// Identity's relay deletes outbox rows once audit has them, so the outbox alone cannot say
// afterwards what identity committed. The test adds, to identity's database only, a trigger
// that copies every outbox row into killtest.committed in the same transaction: a row is
// there exactly when the transaction that wrote it committed, with the outbox's seq. The
// identity process is not changed; the copy is read for the assertions only.
const ledgerDDL = `
CREATE SCHEMA killtest;
CREATE TABLE killtest.committed (
    seq      bigint PRIMARY KEY,
    sink     text   NOT NULL,
    event_id text   NOT NULL,
    payload  bytea  NOT NULL
);
CREATE FUNCTION killtest.copy_outbox_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO killtest.committed (seq, sink, event_id, payload) VALUES (NEW.seq, NEW.sink, NEW.event_id, NEW.payload);
    RETURN NEW;
END $$;
CREATE TRIGGER killtest_copy AFTER INSERT ON identity.outbox
    FOR EACH ROW EXECUTE FUNCTION killtest.copy_outbox_row();
`

func installLedger(t *testing.T, identityDB *pgxpool.Pool) {
	t.Helper()
	if _, err := identityDB.Exec(t.Context(), ledgerDDL); err != nil {
		t.Fatalf("install the outbox copy trigger: %v", err)
	}
}

// event is one event as the test compares it on both sides.
type event struct {
	pos         int64 // identity: outbox seq; audit: seq
	id          string
	subject     string
	action      string
	actorID     string
	data        []byte // canonical JSON (audit stores it so; identity's is canonicalized here)
	description string // the group's description in data, if any
}

func describe(data []byte) (string, error) {
	if len(data) == 0 {
		return "", nil
	}
	var d struct {
		Description string `json:"description"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return "", err
	}
	return d.Description, nil
}

// committedEvents reads what identity committed for sink audit, in outbox order.
func committedEvents(ctx context.Context, identityDB *pgxpool.Pool) ([]event, error) {
	rows, err := identityDB.Query(ctx, "SELECT seq, event_id, payload FROM killtest.committed WHERE sink = 'audit' ORDER BY seq")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (event, error) {
		var (
			e       event
			payload []byte
		)
		if err := row.Scan(&e.pos, &e.id, &payload); err != nil {
			return e, err
		}
		var pb eventsv1.Event
		if err := proto.Unmarshal(payload, &pb); err != nil {
			return e, fmt.Errorf("outbox row %d: %w", e.pos, err)
		}
		if pb.GetId() != e.id {
			return e, fmt.Errorf("outbox row %d: event_id %s but payload id %s", e.pos, e.id, pb.GetId())
		}
		e.subject, e.action, e.actorID = pb.GetSubject(), pb.GetAction(), pb.GetActorId()
		raw, err := events.PayloadJSON(&pb)
		if err != nil {
			return e, fmt.Errorf("outbox row %d: payload: %w", e.pos, err)
		}
		if e.data, err = domain.CanonicalJSON(raw); err != nil {
			return e, fmt.Errorf("outbox row %d: data: %w", e.pos, err)
		}
		e.description, err = describe(e.data)
		return e, err
	})
}

// auditEvents reads the audit log in seq order.
func auditEvents(ctx context.Context, auditDB *pgxpool.Pool) ([]event, error) {
	rows, err := auditDB.Query(ctx, "SELECT seq, id, subject, action, actor_id, data FROM audit.events ORDER BY seq")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (event, error) {
		var e event
		if err := row.Scan(&e.pos, &e.id, &e.subject, &e.action, &e.actorID, &e.data); err != nil {
			return e, err
		}
		var err error
		e.description, err = describe(e.data)
		return e, err
	})
}

// bySubject groups events by subject, keeping their order.
func bySubject(events []event) map[string][]event {
	out := map[string][]event{}
	for _, e := range events {
		out[e.subject] = append(out[e.subject], e)
	}
	return out
}

func ids(events []event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.id
	}
	return out
}

func descriptions(events []event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.description
	}
	return out
}

// sameEvent reports how a and b (one id on both sides) differ, or "".
func sameEvent(a, b event) string {
	switch {
	case a.subject != b.subject:
		return fmt.Sprintf("subject %q vs %q", a.subject, b.subject)
	case a.action != b.action:
		return fmt.Sprintf("action %q vs %q", a.action, b.action)
	case a.actorID != b.actorID:
		return fmt.Sprintf("actor %q vs %q", a.actorID, b.actorID)
	case !bytes.Equal(a.data, b.data):
		return fmt.Sprintf("data %s vs %s", a.data, b.data)
	}
	return ""
}

// scalar runs a query returning one int64.
func scalar(t *testing.T, pool *pgxpool.Pool, q string) int64 {
	t.Helper()
	var n int64
	if err := pool.QueryRow(t.Context(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
