package postgres

import (
	"cmp"
	"context"
	"embed"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// Store is the PostgreSQL notification store: its queries through q, on the kit's DB (InTx,
// Ping, Close).
type Store struct {
	*pgstore.DB
	q pgstore.Q
}

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the notification service owns, with its migrations: what [Open]
// opens, and what a `migrate` subcommand and the tests pass to pgstore.
var Schema = pgstore.NewSchema("notification", migrations)

// Open migrates the notification schema of the database at url and opens a store on it.
// The caller must Close it.
var Open = pgstore.Opener(Schema, New)

// New returns a store on db, which must use the notification schema with its migrations
// applied (as pgstore.Open with [Schema] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store { return &Store{db, db.Q()} }

const webhookColumns = "seq, id, url, event_types, description, disabled, secret, created_by, create_time, update_time"

func scanWebhook(row pgx.CollectableRow) (domain.Webhook, error) {
	var w domain.Webhook
	err := row.Scan(&w.Seq, &w.ID, &w.URL, &w.EventTypes, &w.Description, &w.Disabled, &w.Secret, &w.CreatedBy, &w.CreateTime, &w.UpdateTime)
	if w.EventTypes == nil {
		w.EventTypes = []string{}
	}
	return w, err
}

func (s *Store) CreateWebhook(ctx context.Context, w domain.Webhook) (domain.Webhook, error) {
	return pgstore.One(ctx, s.q, "create webhook", scanWebhook,
		`INSERT INTO webhooks (id, url, event_types, description, disabled, secret, created_by, create_time, update_time)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+webhookColumns,
		w.ID, w.URL, pgstore.OrEmpty(w.EventTypes), w.Description, w.Disabled, w.Secret, w.CreatedBy, w.CreateTime, w.UpdateTime)
}

func (s *Store) GetWebhook(ctx context.Context, id string) (domain.Webhook, error) {
	return pgstore.One(ctx, s.q, "get webhook", scanWebhook,
		"SELECT "+webhookColumns+" FROM webhooks WHERE id = $1", id)
}

func (s *Store) ListWebhooks(ctx context.Context, afterSeq int64, limit int) ([]domain.Webhook, error) {
	return pgstore.All(ctx, s.q, "list webhooks", scanWebhook,
		"SELECT "+webhookColumns+" FROM webhooks WHERE seq > $1 ORDER BY seq LIMIT $2", afterSeq, limit)
}

func (s *Store) EnabledWebhooks(ctx context.Context) ([]domain.Webhook, error) {
	return pgstore.All(ctx, s.q, "enabled webhooks", scanWebhook,
		"SELECT "+webhookColumns+" FROM webhooks WHERE NOT disabled ORDER BY seq")
}

func (s *Store) UpdateWebhook(ctx context.Context, id string, fn func(*domain.Webhook) error) (domain.Webhook, error) {
	var out domain.Webhook
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		w, err := pgstore.One(ctx, s.On(tx), "update webhook", scanWebhook,
			"SELECT "+webhookColumns+" FROM webhooks WHERE id = $1 FOR UPDATE", id)
		if err != nil {
			return err
		}
		if err := fn(&w); err != nil {
			return err
		}
		out, err = pgstore.One(ctx, s.On(tx), "update webhook", scanWebhook,
			`UPDATE webhooks SET url = $2, event_types = $3, description = $4, disabled = $5, secret = $6, update_time = $7
			 WHERE id = $1 RETURNING `+webhookColumns,
			id, w.URL, pgstore.OrEmpty(w.EventTypes), w.Description, w.Disabled, w.Secret, w.UpdateTime)
		return err
	})
	return out, err
}

func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	tag, err := s.q.Exec(ctx, "DELETE FROM webhooks WHERE id = $1", id)
	return s.q.Affected("delete webhook", tag, err)
}

const deliveryColumns = "seq, id, webhook_id, event_id, event_type, subject, body, status, attempts, last_status_code, last_error, next_attempt_time, retry_until, create_time, update_time"

// qualified is deliveryColumns for a query where d names the deliveries table.
const qualified = "d.seq, d.id, d.webhook_id, d.event_id, d.event_type, d.subject, d.body, d.status, d.attempts, d.last_status_code, d.last_error, d.next_attempt_time, d.retry_until, d.create_time, d.update_time"

func scanDeliveryInto(row pgx.CollectableRow, d *domain.Delivery, extra ...any) error {
	var status string
	dest := append([]any{&d.Seq, &d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Subject, &d.Body, &status, &d.Attempts,
		&d.LastStatusCode, &d.LastError, pgstore.ZeroIfNull(&d.NextAttemptTime), &d.RetryUntil, &d.CreateTime, &d.UpdateTime}, extra...)
	err := row.Scan(dest...)
	d.Status = domain.ParseStatus(status)
	return err
}

func scanDelivery(row pgx.CollectableRow) (domain.Delivery, error) {
	var d domain.Delivery
	err := scanDeliveryInto(row, &d)
	return d, err
}

const insertDelivery = `INSERT INTO deliveries (id, webhook_id, event_id, event_type, subject, body, status, attempts, last_status_code, last_error, next_attempt_time, retry_until, create_time, update_time)
	SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = $2)
	RETURNING ` + deliveryColumns

func deliveryArgs(d domain.Delivery) []any {
	return []any{d.ID, d.WebhookID, d.EventID, d.EventType, d.Subject, d.Body, d.Status.String(), d.Attempts,
		d.LastStatusCode, d.LastError, pgstore.NullTime(d.NextAttemptTime), d.RetryUntil, d.CreateTime, d.UpdateTime}
}

func (s *Store) Enqueue(ctx context.Context, events []store.EventDeliveries) (int, error) {
	var n int
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		n = 0
		ids := make([]string, len(events))
		for i, e := range events {
			ids[i] = e.EventID
		}
		// Which ids are new, recorded in one statement; the batch keeps the events' order.
		rows, err := tx.Query(ctx, `INSERT INTO received_events (event_id) SELECT unnest($1::text[])
			ON CONFLICT (event_id) DO NOTHING RETURNING event_id`, ids)
		if err != nil {
			return s.q.Wrap("enqueue", err)
		}
		fresh, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return s.q.Wrap("enqueue", err)
		}
		isNew := make(map[string]bool, len(fresh))
		for _, id := range fresh {
			isNew[id] = true
		}
		b := &pgx.Batch{}
		for _, e := range events {
			if !isNew[e.EventID] {
				continue
			}
			delete(isNew, e.EventID) // an id twice in one batch counts once
			n++
			for _, d := range e.Deliveries {
				b.Queue(insertDelivery, deliveryArgs(d)...)
			}
			if err := queueMessages(b, e.Messages); err != nil {
				return err
			}
		}
		if b.Len() == 0 {
			return nil
		}
		return s.q.Wrap("enqueue", tx.SendBatch(ctx, b).Close())
	})
	return n, err
}

func (s *Store) AddDelivery(ctx context.Context, d domain.Delivery) (domain.Delivery, error) {
	return pgstore.One(ctx, s.q, "add delivery", scanDelivery, insertDelivery, deliveryArgs(d)...)
}

func (s *Store) Claim(ctx context.Context, now, leaseUntil time.Time, limit int) ([]domain.Job, error) {
	rows, err := s.q.Query(ctx, `
		WITH due AS (
			SELECT d.seq FROM deliveries d
			WHERE d.status = 'PENDING' AND d.next_attempt_time <= $1
			  AND NOT EXISTS (SELECT 1 FROM deliveries e
			                  WHERE e.webhook_id = d.webhook_id AND e.subject = d.subject
			                    AND e.status = 'PENDING' AND e.seq < d.seq)
			ORDER BY d.seq
			LIMIT $3
			FOR UPDATE OF d SKIP LOCKED
		)
		UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_time = $2
		FROM due, webhooks w
		WHERE d.seq = due.seq AND w.id = d.webhook_id
		RETURNING `+qualified+`, w.url, w.secret`, now, leaseUntil, limit)
	if err != nil {
		return nil, s.q.Wrap("claim", err)
	}
	jobs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Job, error) {
		var j domain.Job
		err := scanDeliveryInto(row, &j.Delivery, &j.URL, &j.Secret)
		return j, err
	})
	if err != nil {
		return nil, s.q.Wrap("claim", err)
	}
	slices.SortFunc(jobs, func(a, b domain.Job) int { return cmp.Compare(a.Seq, b.Seq) })
	return jobs, nil
}

func (s *Store) Finish(ctx context.Context, f store.Finish) (bool, error) {
	var next *time.Time
	if f.Status == domain.Pending {
		next = &f.NextAttemptTime
	}
	tag, err := s.q.Exec(ctx, `UPDATE deliveries SET status = $3, last_status_code = $4, last_error = $5,
		next_attempt_time = $6, update_time = $7
		WHERE id = $1 AND attempts = $2 AND status = 'PENDING'`,
		f.ID, f.Attempt, f.Status.String(), f.Outcome.StatusCode, f.Outcome.Err, next, f.Now)
	if err != nil {
		return false, s.q.Wrap("finish", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (s *Store) GetDelivery(ctx context.Context, webhookID, id string) (domain.Delivery, error) {
	return pgstore.One(ctx, s.q, "get delivery", scanDelivery,
		"SELECT "+deliveryColumns+" FROM deliveries WHERE webhook_id = $1 AND id = $2", webhookID, id)
}

func (s *Store) ListDeliveries(ctx context.Context, webhookID string, beforeSeq int64, limit int) ([]domain.Delivery, error) {
	return pgstore.All(ctx, s.q, "list deliveries", scanDelivery,
		`SELECT `+deliveryColumns+` FROM deliveries WHERE webhook_id = $1 AND ($2::bigint = 0 OR seq < $2::bigint)
		 ORDER BY seq DESC LIMIT $3`, webhookID, beforeSeq, limit)
}

func (s *Store) Redeliver(ctx context.Context, webhookID, id string, now, retryUntil time.Time) (domain.Delivery, error) {
	return pgstore.One(ctx, s.q, "redeliver", scanDelivery,
		`UPDATE deliveries SET status = 'PENDING', next_attempt_time = $3, retry_until = $4, update_time = $3
		 WHERE webhook_id = $1 AND id = $2 RETURNING `+deliveryColumns, webhookID, id, now, retryUntil)
}

func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	return s.earliest(ctx, "next due", "SELECT min(next_attempt_time) FROM deliveries WHERE status = 'PENDING'")
}

// earliest runs a query of one nullable time (ok false: NULL).
func (s *Store) earliest(ctx context.Context, op, sql string) (time.Time, bool, error) {
	var t *time.Time
	if err := s.q.QueryRow(ctx, sql).Scan(&t); err != nil {
		return time.Time{}, false, s.q.Wrap(op, err)
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return *t, true, nil
}

func (s *Store) PruneDeliveries(ctx context.Context, before time.Time, limit int) (int, error) {
	return pgstore.Deleted(ctx, s.q, "prune deliveries", `
		DELETE FROM deliveries WHERE seq IN (
			SELECT seq FROM deliveries WHERE status <> 'PENDING' AND update_time < $1 ORDER BY update_time, seq LIMIT $2)`,
		before, limit)
}
