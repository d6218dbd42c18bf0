// Package postgres is the task store's PostgreSQL engine, in the schema "task", with its
// embedded goose migrations (migrations/). Transactions run at read committed through
// pgstore; LockStep and LockTask are SELECT ... FOR UPDATE, and updates are version-checked
// as well, so a decision that lost a race finds the task no longer pending (or a stale
// version) instead of overwriting the winner. The inbox (tasks of one assignee in one
// status, in id order) reads task_assignees, which mirrors each task's assignees and status.
package postgres
