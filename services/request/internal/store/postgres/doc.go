// Package postgres is the request store's PostgreSQL engine, in the schema "request", with
// its embedded goose migrations (migrations/). Transactions run at read committed through
// pgstore; LockRequest is SELECT ... FOR UPDATE, and updates are version-checked as well.
// The request log of one user (Filter.ViewerID) reads request_viewers, which holds a row per
// viewer of each request (domain.Request.ViewerIDs) with copies of the request's filter
// columns, rewritten with the request on every create and update: a user's page, with or
// without filters, is one range scan of its index, and then one primary-key read per row.
package postgres
