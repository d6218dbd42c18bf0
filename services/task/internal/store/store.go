package store

import (
	"context"

	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/task/internal/domain"
)

// The store's errors are the kit's (storekit), under the names the engines use.
var (
	// ErrNotFound is returned for a missing task or step.
	ErrNotFound = storekit.ErrNotFound
	// ErrConflict is returned by a create whose key exists (task id, standalone key, step)
	// and by an update whose version is stale.
	ErrConflict = storekit.ErrConflict
)

// Filter narrows ListTasks. Empty fields do not filter.
type Filter struct {
	// AssigneeID: tasks this user is one of the assignees of.
	AssigneeID string
	Status     domain.Status
	RequestID  string
	// AccessReviewID: the ACCESS_REVIEW tasks of this campaign.
	AccessReviewID string
}

// Page pages tasks, ordered by id.
type Page = storekit.Page[string]

// Reader answers queries. Inside a transaction it sees the transaction's own writes.
type Reader interface {
	GetTask(ctx context.Context, id string) (domain.Task, error)
	// GetTaskByKey returns the standalone task created with key.
	GetTaskByKey(ctx context.Context, key string) (domain.Task, error)
	ListTasks(ctx context.Context, f Filter, p Page) ([]domain.Task, error)
	GetStep(ctx context.Context, requestID string, index int) (domain.Step, error)
	// StepTasks returns the tasks of a step, ordered by id.
	StepTasks(ctx context.Context, requestID string, index int) ([]domain.Task, error)
}

// Tx is a write transaction.
type Tx interface {
	Reader
	// LockStep returns the step, holding its lock until the transaction ends (ErrNotFound
	// if there is none).
	LockStep(ctx context.Context, requestID string, index int) (domain.Step, error)
	// LockRequestSteps returns every step of a request, ordered by index, holding their
	// locks until the transaction ends.
	LockRequestSteps(ctx context.Context, requestID string) ([]domain.Step, error)
	// LockTask returns the task, holding its lock until the transaction ends.
	LockTask(ctx context.Context, id string) (domain.Task, error)

	// CreateStep writes a new step; ErrConflict if (RequestID, Index) exists, after waiting
	// for a concurrent creator to finish. The transaction stays usable.
	CreateStep(ctx context.Context, s domain.Step) error
	// UpdateStep writes s if the stored version is s.Version-1 (else ErrConflict).
	UpdateStep(ctx context.Context, s domain.Step) error
	// CreateTask writes a new task; ErrConflict if its id or its standalone key exists. The
	// transaction stays usable.
	CreateTask(ctx context.Context, t domain.Task) error
	// UpdateTask writes t if the stored version is t.Version-1 (else ErrConflict).
	UpdateTask(ctx context.Context, t domain.Task) error

	// Emit appends an event to the outbox for the given sinks; it commits with the change.
	storekit.Emitter
	// Schedule and Cancel set and remove timers (due dates, escalations); they commit with
	// the change.
	timer.Scheduler
	// MarkProcessed records that an incoming event (identity's user events) is applied by
	// this transaction, and reports whether it is new: false means it was applied before
	// (or by a concurrent transaction, which this one waited for): skip it.
	storekit.Marker
}

// Store is the task service's storage.
type Store interface {
	Reader
	InboxWatcher
	// Timers fires the due timers, each in a transaction of this store.
	timer.Store[Tx]
	// OutboxShell is the closure transaction on Tx, Ping, Close and the relays' outbox.
	storekit.OutboxShell[Tx]
}
