package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

const messageColumns = "seq, id, event_id, event_type, user_id, channel, notice, link, title, text, address, status, attempts, last_error, next_attempt_time, retry_until, send_time, create_time, update_time"

func scanMessage(row pgx.CollectableRow) (domain.Message, error) {
	var m domain.Message
	var channel, status string
	var notice []byte
	if err := row.Scan(&m.Seq, &m.ID, &m.EventID, &m.EventType, &m.UserID, &channel, &notice, &m.Link, &m.Title, &m.Text,
		&m.Address, &status, &m.Attempts, &m.LastError, pgstore.ZeroIfNull(&m.NextAttemptTime), &m.RetryUntil,
		pgstore.ZeroIfNull(&m.SendTime), &m.CreateTime, &m.UpdateTime); err != nil {
		return m, err
	}
	m.Channel, m.Status = domain.ParseChannel(channel), domain.ParseStatus(status)
	return m, json.Unmarshal(notice, &m.Notice)
}

// insertMessage adds a message unless its (event, person, channel) has one.
const insertMessage = `INSERT INTO messages (id, event_id, event_type, user_id, channel, notice, link, title, text, address, status, attempts, last_error, next_attempt_time, retry_until, send_time, create_time, update_time)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
	ON CONFLICT (event_id, user_id, channel) DO NOTHING`

// queueMessages queues the inserts of ms on b.
func queueMessages(b *pgx.Batch, ms []domain.Message) error {
	for _, m := range ms {
		notice, err := json.Marshal(m.Notice)
		if err != nil {
			return err
		}
		b.Queue(insertMessage, m.ID, m.EventID, m.EventType, m.UserID, m.Channel.String(), notice, m.Link, m.Title, m.Text,
			m.Address, m.Status.String(), m.Attempts, m.LastError, pgstore.NullTime(m.NextAttemptTime), m.RetryUntil,
			pgstore.NullTime(m.SendTime), m.CreateTime, m.UpdateTime)
	}
	return nil
}

func (s *Store) ClaimMessages(ctx context.Context, now, leaseUntil time.Time, limit int) ([]domain.Message, error) {
	return pgstore.All(ctx, s.q, "claim messages", scanMessage, `
		WITH due AS (
			SELECT seq FROM messages
			WHERE status = 'PENDING' AND next_attempt_time <= $1
			ORDER BY seq
			LIMIT $3
			FOR UPDATE SKIP LOCKED
		)
		UPDATE messages m SET attempts = m.attempts + 1, next_attempt_time = $2
		FROM due WHERE m.seq = due.seq
		RETURNING m.`+messageColumns, now, leaseUntil, limit)
}

func (s *Store) FinishMessage(ctx context.Context, f store.FinishMessage) (bool, error) {
	var next, sent *time.Time
	switch f.Status {
	case domain.Pending:
		next = &f.NextAttemptTime
	case domain.Succeeded:
		sent = &f.Now
	}
	tag, err := s.q.Exec(ctx, `UPDATE messages SET status = $3, last_error = $4, next_attempt_time = $5,
		send_time = $6, update_time = $7,
		title = CASE WHEN $8 = '' THEN title ELSE $8 END,
		text = CASE WHEN $9 = '' THEN text ELSE $9 END,
		address = CASE WHEN $10 = '' THEN address ELSE $10 END
		WHERE id = $1 AND attempts = $2 AND status = 'PENDING'`,
		f.ID, f.Attempt, f.Status.String(), f.LastError, next, sent, f.Now, f.Title, f.Text, f.Address)
	if err != nil {
		return false, s.q.Wrap("finish message", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (s *Store) NextMessageDue(ctx context.Context) (time.Time, bool, error) {
	return s.earliest(ctx, "next message due", "SELECT min(next_attempt_time) FROM messages WHERE status = 'PENDING'")
}

func (s *Store) ListMessages(ctx context.Context, userID string, beforeSeq int64, limit int) ([]domain.Message, error) {
	return pgstore.All(ctx, s.q, "list messages", scanMessage,
		`SELECT `+messageColumns+` FROM messages WHERE ($1 = '' OR user_id = $1) AND ($2::bigint = 0 OR seq < $2::bigint)
		 ORDER BY seq DESC LIMIT $3`, userID, beforeSeq, limit)
}

func scanSettings(row pgx.CollectableRow) (domain.Settings, error) {
	var v domain.Settings
	err := row.Scan(&v.UserID, &v.Email, &v.Slack, &v.UpdateTime)
	return v, err
}

func (s *Store) Settings(ctx context.Context, userIDs []string) (map[string]domain.Settings, error) {
	list, err := pgstore.All(ctx, s.q, "settings", scanSettings,
		"SELECT user_id, email, slack, update_time FROM notification_settings WHERE user_id = ANY($1)", userIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]domain.Settings, len(list))
	for _, v := range list {
		out[v.UserID] = v
	}
	return out, nil
}

func (s *Store) UpdateSettings(ctx context.Context, userID string, fn func(*domain.Settings) error) (domain.Settings, error) {
	var out domain.Settings
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// Lock the row, creating it first so that two first edits serialize too.
		if _, err := tx.Exec(ctx, `INSERT INTO notification_settings (user_id, update_time) VALUES ($1, now())
			ON CONFLICT (user_id) DO NOTHING`, userID); err != nil {
			return s.q.Wrap("update settings", err)
		}
		v, err := pgstore.One(ctx, s.On(tx), "update settings", scanSettings,
			"SELECT user_id, email, slack, update_time FROM notification_settings WHERE user_id = $1 FOR UPDATE", userID)
		if err != nil {
			return err
		}
		if err := fn(&v); err != nil {
			return err
		}
		v.UserID = userID
		if _, err := tx.Exec(ctx, "UPDATE notification_settings SET email = $2, slack = $3, update_time = $4 WHERE user_id = $1",
			userID, v.Email, v.Slack, v.UpdateTime); err != nil {
			return s.q.Wrap("update settings", err)
		}
		out = v
		return nil
	})
	return out, err
}
