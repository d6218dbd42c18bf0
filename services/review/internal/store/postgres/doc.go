// Package postgres is the review store's PostgreSQL engine (pgx/v5): its own schema
// "review", embedded goose migrations, the kit's outbox tables. A launch writes its items
// with COPY inside the launch's transaction; a reviewer's items are one index range scan on
// item_reviewers however large the campaign.
package postgres
