package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

const campaignColumns = `c.id, c.name, c.description, c.status, c.app_ids, c.reviewer_kind, c.reviewer_user_ids,
	c.due_time, c.creator_id, c.create_time, c.launch_time, c.close_time, c.version`

var scanCampaign = pgstore.Fields(func(c *domain.Campaign) []any {
	return []any{&c.ID, &c.Name, &c.Description, &c.Status, &c.AppIDs, &c.ReviewerKind, &c.ReviewerUserIDs,
		pgstore.ZeroIfNull(&c.DueTime), &c.CreatorID, &c.CreateTime, pgstore.ZeroIfNull(&c.LaunchTime),
		pgstore.ZeroIfNull(&c.CloseTime), &c.Version}
})

func (r reader) GetCampaign(ctx context.Context, id string) (domain.Campaign, error) {
	return pgstore.One(ctx, r.q, "get campaign "+id, scanCampaign, "SELECT "+campaignColumns+" FROM campaigns c WHERE c.id = $1", id)
}

func (r reader) ListCampaigns(ctx context.Context, f store.CampaignFilter, p store.Page) ([]domain.Campaign, error) {
	limit := any(nil)
	if p.Size > 0 {
		limit = p.Size
	}
	return pgstore.All(ctx, r.q, "list campaigns", scanCampaign,
		"SELECT "+campaignColumns+` FROM campaigns c
		WHERE ($1 = '' OR c.id < $1) AND ($2 = '' OR c.status = $2)
		  AND ($3 = '' OR EXISTS (SELECT 1 FROM item_reviewers r WHERE r.reviewer_id = $3 AND r.campaign_id = c.id))
		ORDER BY c.id DESC LIMIT $4`, p.After, string(f.Status), f.ReviewerID, limit)
}

func (r reader) Progress(ctx context.Context, id string) (domain.Progress, error) {
	type row struct {
		status, decision string
		n                int64
	}
	rows, err := pgstore.All(ctx, r.q, "progress of "+id, func(rw pgx.CollectableRow) (row, error) {
		var x row
		return x, rw.Scan(&x.status, &x.decision, &x.n)
	}, "SELECT status, decision, count(*) FROM items WHERE campaign_id = $1 GROUP BY status, decision", id)
	var p domain.Progress
	for _, x := range rows {
		p.Total += x.n
		switch domain.ItemStatus(x.status) {
		case domain.Pending:
			p.Pending += x.n
		case domain.Blocked:
			p.Blocked += x.n
		case domain.NotReviewed:
			p.NotReviewed += x.n
		case domain.Decided:
			switch domain.Decision(x.decision) {
			case domain.Keep:
				p.Kept += x.n
			case domain.Change:
				p.Changed += x.n
			case domain.Remove:
				p.Removed += x.n
			}
		}
	}
	return p, err
}

func (r reader) IsReviewer(ctx context.Context, id, user string) (bool, error) {
	return pgstore.One(ctx, r.q, "is reviewer", pgx.RowTo[bool],
		"SELECT EXISTS (SELECT 1 FROM item_reviewers WHERE campaign_id = $1 AND reviewer_id = $2)", id, user)
}

func (r reader) PendingReviewers(ctx context.Context, id string) ([]string, error) {
	return pgstore.All(ctx, r.q, "pending reviewers", pgx.RowTo[string],
		`SELECT DISTINCT reviewer_id FROM item_reviewers WHERE campaign_id = $1 AND status = 'PENDING' ORDER BY reviewer_id`, id)
}

func (r reader) OpenItemCount(ctx context.Context, id, reviewer string) (int, error) {
	return pgstore.One(ctx, r.q, "open item count", pgx.RowTo[int],
		`SELECT count(*)::int FROM item_reviewers
		WHERE campaign_id = $1 AND reviewer_id = $2 AND status IN ('PENDING', 'BLOCKED')`, id, reviewer)
}

func (t *tx) LockCampaign(ctx context.Context, id string) (domain.Campaign, error) {
	return pgstore.One(ctx, t.q, "lock campaign "+id, scanCampaign, "SELECT "+campaignColumns+" FROM campaigns c WHERE c.id = $1 FOR UPDATE", id)
}

func (t *tx) CreateCampaign(ctx context.Context, c domain.Campaign) error {
	_, err := t.Tx.PgTx.Exec(ctx, `INSERT INTO campaigns (id, name, description, status, app_ids, reviewer_kind,
		reviewer_user_ids, due_time, creator_id, create_time, launch_time, close_time, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.ID, c.Name, c.Description, c.Status, pgstore.OrEmpty(c.AppIDs), c.ReviewerKind, pgstore.OrEmpty(c.ReviewerUserIDs),
		pgstore.NullTime(c.DueTime), c.CreatorID, c.CreateTime, pgstore.NullTime(c.LaunchTime), pgstore.NullTime(c.CloseTime), c.Version)
	return t.q.Wrap("create campaign "+c.ID, err)
}

func (t *tx) UpdateCampaign(ctx context.Context, c domain.Campaign) error {
	tag, err := t.Tx.PgTx.Exec(ctx, `UPDATE campaigns SET name = $2, description = $3, status = $4, app_ids = $5,
		reviewer_kind = $6, reviewer_user_ids = $7, due_time = $8, launch_time = $9, close_time = $10, version = $11
		WHERE id = $1 AND version = $11 - 1`,
		c.ID, c.Name, c.Description, c.Status, pgstore.OrEmpty(c.AppIDs), c.ReviewerKind, pgstore.OrEmpty(c.ReviewerUserIDs),
		pgstore.NullTime(c.DueTime), pgstore.NullTime(c.LaunchTime), pgstore.NullTime(c.CloseTime), c.Version)
	return pgstore.Updated(ctx, t.q, "update campaign "+c.ID, "campaigns", c.ID, tag, err)
}
