package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// itemColumns are read from items aliased i.
const itemColumns = `i.campaign_id, i.id, i.user_id, i.app_id, i.permission, i.grant_time, i.reviewer_ids, i.status,
	i.decision, i.new_permission, i.decided_by, i.decide_time, i.justification, COALESCE(i.request_id, ''),
	i.request_status, i.blocked_reason, i.user_email, i.user_name, i.app_name, i.version`

var scanItem = pgstore.Fields(func(it *domain.Item) []any {
	return []any{&it.CampaignID, &it.ID, &it.UserID, &it.AppID, &it.Permission, pgstore.ZeroIfNull(&it.GrantTime),
		&it.ReviewerIDs, &it.Status, &it.Decision, &it.NewPermission, &it.DecidedBy, pgstore.ZeroIfNull(&it.DecideTime),
		&it.Justification, &it.RequestID, &it.RequestStatus, &it.BlockedReason, &it.UserEmail, &it.UserName,
		&it.AppName, &it.Version}
})

func (r reader) GetItem(ctx context.Context, campaign, id string) (domain.Item, error) {
	return pgstore.One(ctx, r.q, "get item "+id, scanItem,
		"SELECT "+itemColumns+" FROM items i WHERE i.campaign_id = $1 AND i.id = $2", campaign, id)
}

func (r reader) ListItems(ctx context.Context, f store.ItemFilter, p store.Page) ([]domain.Item, error) {
	// The conditions are spelled out per filter (no "$n = '' OR ..."), so that even a
	// generic plan of the prepared statement uses the index that fits.
	args := []any{f.CampaignID, p.After}
	var sql string
	if f.ReviewerID != "" {
		// The page of the reviewer's index entries first (one range scan, limited), then
		// its items by key: joining before the limit lets the planner walk the whole
		// campaign's items.
		args = append(args, f.ReviewerID)
		sql = `WITH page AS (SELECT r.item_id FROM item_reviewers r
			WHERE r.campaign_id = $1 AND r.item_id > $2 AND r.reviewer_id = $3`
		if f.Status != "" {
			args = append(args, string(f.Status))
			sql += " AND r.status = $4"
		}
		sql += " ORDER BY r.item_id"
		if p.Size > 0 {
			args = append(args, p.Size)
			sql += fmt.Sprintf(" LIMIT $%d", len(args))
		}
		sql += ") SELECT " + itemColumns + ` FROM page JOIN items i ON i.campaign_id = $1 AND i.id = page.item_id
			ORDER BY i.id`
		return pgstore.All(ctx, r.q, "list items", scanItem, sql, args...)
	}
	sql = "SELECT " + itemColumns + " FROM items i WHERE i.campaign_id = $1 AND i.id > $2"
	if f.Status != "" {
		args = append(args, string(f.Status))
		sql += " AND i.status = $3"
	}
	sql += " ORDER BY i.id"
	if p.Size > 0 {
		args = append(args, p.Size)
		sql += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	return pgstore.All(ctx, r.q, "list items", scanItem, sql, args...)
}

func (r reader) OpenItemsOf(ctx context.Context, user, app string) ([]domain.Item, error) {
	return pgstore.All(ctx, r.q, "open items of", scanItem, "SELECT "+itemColumns+` FROM items i
		JOIN campaigns c ON c.id = i.campaign_id AND c.status = 'ACTIVE'
		WHERE i.user_id = $1 AND i.app_id = $2 AND i.status IN ('PENDING', 'BLOCKED')
		ORDER BY i.campaign_id, i.id`, user, app)
}

func (r reader) ItemsByRequest(ctx context.Context, requestID string) ([]domain.Item, error) {
	return pgstore.All(ctx, r.q, "items by request", scanItem, "SELECT "+itemColumns+` FROM items i
		WHERE i.request_id = $1 ORDER BY i.campaign_id, i.id`, requestID)
}

func (t *tx) LockItem(ctx context.Context, campaign, id string) (domain.Item, error) {
	return pgstore.One(ctx, t.q, "lock item "+id, scanItem,
		"SELECT "+itemColumns+" FROM items i WHERE i.campaign_id = $1 AND i.id = $2 FOR UPDATE", campaign, id)
}

// CreateItems copies the items and their reviewer rows in (COPY: a launch writes
// thousands at once).
func (t *tx) CreateItems(ctx context.Context, items []domain.Item) error {
	if len(items) == 0 {
		return nil
	}
	_, err := t.Tx.PgTx.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"campaign_id", "id", "user_id", "app_id", "permission",
		"grant_time", "reviewer_ids", "status", "decision", "new_permission", "decided_by", "decide_time", "justification",
		"request_id", "request_status", "blocked_reason", "user_email", "user_name", "app_name", "version"},
		pgx.CopyFromSlice(len(items), func(n int) ([]any, error) {
			it := items[n]
			return []any{it.CampaignID, it.ID, it.UserID, it.AppID, it.Permission, pgstore.NullTime(it.GrantTime),
				pgstore.OrEmpty(it.ReviewerIDs), string(it.Status), string(it.Decision), it.NewPermission, it.DecidedBy,
				pgstore.NullTime(it.DecideTime), it.Justification, pgstore.NullIfEmpty(it.RequestID), it.RequestStatus,
				it.BlockedReason, it.UserEmail, it.UserName, it.AppName, it.Version}, nil
		}))
	if err != nil {
		return t.q.Wrap("create items", err)
	}
	var rows [][]any
	for _, it := range items {
		for _, r := range it.ReviewerIDs {
			rows = append(rows, []any{it.CampaignID, r, it.ID, string(it.Status)})
		}
	}
	_, err = t.Tx.PgTx.CopyFrom(ctx, pgx.Identifier{"item_reviewers"}, []string{"campaign_id", "reviewer_id", "item_id", "status"},
		pgx.CopyFromRows(rows))
	return t.q.Wrap("create item reviewers", err)
}

func (t *tx) UpdateItem(ctx context.Context, it domain.Item) error {
	tag, err := t.Tx.PgTx.Exec(ctx, `UPDATE items SET status = $3, decision = $4, new_permission = $5, decided_by = $6,
		decide_time = $7, justification = $8, request_id = $9, request_status = $10, blocked_reason = $11, version = $12
		WHERE campaign_id = $1 AND id = $2 AND version = $12 - 1`,
		it.CampaignID, it.ID, string(it.Status), string(it.Decision), it.NewPermission, it.DecidedBy, pgstore.NullTime(it.DecideTime),
		it.Justification, pgstore.NullIfEmpty(it.RequestID), it.RequestStatus, it.BlockedReason, it.Version)
	if err != nil {
		return t.q.Wrap("update item "+it.ID, err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := t.GetItem(ctx, it.CampaignID, it.ID); err != nil {
			return err
		}
		return t.q.ConflictIn("update item " + it.ID)
	}
	_, err = t.Tx.PgTx.Exec(ctx, `UPDATE item_reviewers SET status = $3 WHERE campaign_id = $1 AND item_id = $2 AND status <> $3`,
		it.CampaignID, it.ID, string(it.Status))
	return t.q.Wrap("update item reviewers "+it.ID, err)
}

func (t *tx) CloseItems(ctx context.Context, campaign string) (int, error) {
	tag, err := t.Tx.PgTx.Exec(ctx, `UPDATE items SET status = 'NOT_REVIEWED', blocked_reason = '', version = version + 1
		WHERE campaign_id = $1 AND status IN ('PENDING', 'BLOCKED')`, campaign)
	if err != nil {
		return 0, t.q.Wrap("close items", err)
	}
	_, err = t.Tx.PgTx.Exec(ctx, `UPDATE item_reviewers SET status = 'NOT_REVIEWED'
		WHERE campaign_id = $1 AND status IN ('PENDING', 'BLOCKED')`, campaign)
	return int(tag.RowsAffected()), t.q.Wrap("close item reviewers", err)
}
