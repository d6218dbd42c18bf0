package store

import (
	"context"
	"time"

	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/pkg/watch"
	"github.com/grantflow/grantflow/services/request/internal/domain"
)

// The store's errors are the kit's (storekit), under the names the engines use.
var (
	// ErrNotFound is returned for a missing request.
	ErrNotFound = storekit.ErrNotFound
	// ErrConflict is returned by a create whose id or client id exists, and by an update
	// whose version is stale.
	ErrConflict = storekit.ErrConflict
)

// Filter narrows ListRequests. Empty fields do not filter.
type Filter struct {
	Status       domain.Status
	Type         domain.Type
	RequesterID  string
	TargetUserID string
	AppID        string
	// ViewerID: only requests this user may see as requester, target, the target's
	// manager, an owner of the app or an assignee (domain.Request.ViewerIDs).
	ViewerID string
}

// Page is a page request: requests come newest first (ids descending: UUIDv7 ids sort by
// creation time); Before is the last id of the previous page ("" for the first). Size 0
// means no limit.
type Page struct {
	Size   int
	Before string
}

// Reader answers queries. Inside a transaction it sees the transaction's own writes.
type Reader interface {
	GetRequest(ctx context.Context, id string) (domain.Request, error)
	// GetRequestByClientID returns the request submitted with this client id.
	GetRequestByClientID(ctx context.Context, clientID string) (domain.Request, error)
	ListRequests(ctx context.Context, f Filter, p Page) ([]domain.Request, error)
}

// Watcher is what WatchRequest reads: every change of a request, and a push when one commits.
type Watcher interface {
	// Changes returns request id as each change after afterVersion left it (Version >
	// afterVersion), oldest first, at most limit. Every create and update records one.
	Changes(ctx context.Context, id string, afterVersion int64, limit int) ([]domain.Request, error)
	// Watch subscribes to request id: the watcher's C receives after each commit that
	// changed it, in any process sharing the store once Listen runs. Subscribe, then read.
	Watch(id string) *watch.Watcher
	// Listen hears the changes other processes commit (PostgreSQL: LISTEN) until ctx ends.
	Listen(ctx context.Context)
	// PruneChanges deletes up to limit of the changes made (their UpdateTime) before
	// before, oldest first, and returns how many it deleted (GRANTFLOW_WATCH_RETENTION).
	PruneChanges(ctx context.Context, before time.Time, limit int) (int, error)
}

// Tx is a write transaction.
type Tx interface {
	Reader
	// LockRequest returns the request, holding its lock until the transaction ends.
	LockRequest(ctx context.Context, id string) (domain.Request, error)
	// CreateRequest writes a new request; ErrConflict if its id or client id exists (after
	// waiting for a concurrent creator to finish). The transaction stays usable.
	CreateRequest(ctx context.Context, r domain.Request) error
	// UpdateRequest writes r if the stored version is r.Version-1 (else ErrConflict).
	UpdateRequest(ctx context.Context, r domain.Request) error
	// MarkProcessed records that an incoming event was handled, and reports whether it is
	// new: false means an earlier transaction handled it and the event must be skipped.
	storekit.Marker
	// Emit appends an event to the outbox for the given sinks; it commits with the change.
	storekit.Emitter
	// Retract removes the undelivered event eventID of sink that an earlier transaction
	// emitted (a work item whose work this transaction does); it commits with the change. An
	// event delivered already is no error.
	Retract(ctx context.Context, sink, eventID string) error
	// Schedule and Cancel set and remove timers (expiring access); they commit with the
	// change.
	timer.Scheduler
}

// Store is the request service's storage.
type Store interface {
	Reader
	Watcher
	// Timers fires the due timers, each in a transaction of this store.
	timer.Store[Tx]
	// OutboxShell is the closure transaction on Tx, Ping, Close and the relays' outbox.
	storekit.OutboxShell[Tx]
}
