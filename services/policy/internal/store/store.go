package store

import (
	"context"
	"errors"
	"time"

	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
)

// The store's errors: ErrNotFound and ErrConflict are the kit's (storekit), ErrImmutable
// the policy store's own.
var (
	// ErrNotFound is returned for a missing policy or version.
	ErrNotFound = storekit.ErrNotFound
	// ErrConflict is returned for a duplicate id, a scope that overlaps another policy's
	// at the same level, a second active version, or a stale revision.
	ErrConflict = storekit.ErrConflict
	// ErrImmutable is returned for a change of an active or retired version (anything but
	// retiring an active one) and for deleting one.
	ErrImmutable = errors.New("version is not a draft")
)

// Page pages policies, ordered by id.
type Page = storekit.Page[string]

// VersionPage pages a policy's versions, ordered by version number.
type VersionPage = storekit.Page[int64]

// PolicyFilter narrows ListPolicies; empty fields do not filter.
type PolicyFilter struct {
	RequestType domain.RequestType
	// AppID keeps the policies whose scope names this app.
	AppID string
}

// Change is one entry of the index generation's log: at Generation, the active version of
// PolicyID changed.
type Change struct {
	Generation int64
	PolicyID   string
}

// Reader answers queries. Inside a transaction it sees the transaction's own writes.
type Reader interface {
	GetPolicy(ctx context.Context, id string) (domain.Policy, error)
	ListPolicies(ctx context.Context, f PolicyFilter, p Page) ([]domain.Policy, error)
	// OverlappingPolicies returns the policies of rt whose scope overlaps scope at
	// level (domain.Scope.Overlaps), ordered by id.
	OverlappingPolicies(ctx context.Context, rt domain.RequestType, level domain.Level, scope domain.Scope) ([]domain.Policy, error)

	GetVersion(ctx context.Context, policyID string, version int64) (domain.Version, error)
	ListVersions(ctx context.Context, policyID string, p VersionPage) ([]domain.Version, error)

	// Generation returns the index generation: how many changes of active versions have
	// committed. It must be cheap: it is read on every resolution.
	Generation(ctx context.Context) (int64, error)
	// Changes returns up to limit changes after generation after, in order.
	Changes(ctx context.Context, after int64, limit int) ([]Change, error)
	// ActivePolicies returns every policy that has an active version, with it, by id.
	ActivePolicies(ctx context.Context) ([]domain.Active, error)
	// PolicyStates returns, for each existing id, the policy and its active version
	// (Active nil when none is active), for updating an index.
	PolicyStates(ctx context.Context, ids []string) ([]domain.Update, error)
}

// Tx is a write transaction.
type Tx interface {
	Reader
	// LockPolicies serializes policy writes until the transaction ends, across processes
	// on PostgreSQL: overlap checks, version numbering and activations see no concurrent
	// change, and events of one policy reach the outbox in commit order.
	LockPolicies(ctx context.Context) error

	// CreatePolicy stores a new policy; ErrConflict for a taken id or an overlapping scope.
	CreatePolicy(ctx context.Context, p domain.Policy) error
	// UpdatePolicy writes p's name, versions and update time. Its request type, level
	// and scope never change.
	UpdatePolicy(ctx context.Context, p domain.Policy) error

	// CreateVersion stores a new draft; ErrConflict if the number is taken.
	CreateVersion(ctx context.Context, v domain.Version) error
	// UpdateVersion writes a draft's workflow and update time if the stored revision is
	// v.Revision-1 (else ErrConflict); ErrImmutable when the version is not a draft.
	UpdateVersion(ctx context.Context, v domain.Version) error
	// DeleteVersion deletes a draft; ErrImmutable when the version is not a draft.
	DeleteVersion(ctx context.Context, policyID string, version int64) error
	// ActivateVersion makes a draft active; ErrImmutable when it is not a draft,
	// ErrConflict while another version of the policy is active.
	ActivateVersion(ctx context.Context, policyID string, version int64, at time.Time) error
	// RetireVersion retires the active version; ErrImmutable when it is not active.
	RetireVersion(ctx context.Context, policyID string, version int64, at time.Time) error

	// BumpGeneration records that policyID's active version changed and returns the new
	// index generation.
	BumpGeneration(ctx context.Context, policyID string) (int64, error)

	// Emit appends an event to the outbox for the given sinks; it commits with the change.
	storekit.Emitter
}

// Store is the policy service's storage.
type Store interface {
	Reader
	// OutboxShell is the closure transaction on Tx, Ping, Close and the relays' outbox.
	storekit.OutboxShell[Tx]
}
