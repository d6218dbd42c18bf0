package store

import (
	"context"
	"time"

	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// ErrConflict is returned by Insert for an event id or seq that is already stored, or a seq
// that does not follow the head: the kit's storekit.ErrConflict.
var ErrConflict = storekit.ErrConflict

// Head is the newest event of the log (zero: the log is empty).
type Head struct {
	Seq  int64
	Hash domain.Hash
}

// Filter narrows ListEvents. Empty fields do not filter; the fields that are set must all
// hold.
type Filter struct {
	// RequestID selects the lineage of a request: the events whose request_id is
	// RequestID, and the policy.version.* events of every (policy_id, policy_version) that
	// those events name.
	RequestID string
	Subject   string
	ActorID   string
	// Since (inclusive) and Until (exclusive) bound the event time.
	Since, Until time.Time
	// AfterSeq starts the list after this seq.
	AfterSeq int64
	// ThroughSeq, when positive, ends the list at this seq.
	ThroughSeq int64
}

// Reader answers queries. Inside a transaction it sees the transaction's own writes.
type Reader interface {
	// Head returns the newest stored event's seq and hash.
	Head(ctx context.Context) (Head, error)
	// ListEvents returns up to limit events matching f, in seq order.
	ListEvents(ctx context.Context, f Filter, limit int) ([]domain.Event, error)
	// Scan calls fn for each event from seq from on, in seq order, and stops at fn's first
	// error, which it returns. The events are a consistent snapshot.
	Scan(ctx context.Context, from int64, fn func(*domain.Event) error) error
	// KnownIDs returns the ids among ids that are stored.
	KnownIDs(ctx context.Context, ids []string) (map[string]bool, error)

	// ListCheckpoints returns up to limit checkpoints after seq afterSeq, oldest first.
	ListCheckpoints(ctx context.Context, afterSeq int64, limit int) ([]domain.Checkpoint, error)
	// AllCheckpoints returns every checkpoint, oldest first.
	AllCheckpoints(ctx context.Context) ([]domain.Checkpoint, error)
	// LatestCheckpoint returns the newest checkpoint; ok is false when there is none.
	LatestCheckpoint(ctx context.Context) (cp domain.Checkpoint, ok bool, err error)
}

// Tx is a write transaction.
type Tx interface {
	Reader
	// LockHead takes the log's append lock until the transaction ends (in this process and,
	// on PostgreSQL, in every other one) and returns the head as it stands under the lock.
	LockHead(ctx context.Context) (Head, error)
	// Insert appends sealed events, which must continue the head: seq Head+1, +2, ... in
	// order. An id or seq already stored is ErrConflict.
	Insert(ctx context.Context, events []domain.Event) error
	// AddCheckpoint stores cp; it returns false, storing nothing, when a checkpoint with
	// cp's seq exists.
	AddCheckpoint(ctx context.Context, cp domain.Checkpoint) (bool, error)
}

// Store is the audit service's storage.
type Store interface {
	Reader
	// Shell is the closure transaction on Tx, Ping and Close.
	storekit.Shell[Tx]
	// SigningSeed returns the stored signing key seed; when none is stored it stores
	// candidate first (the first of several replicas starting together wins) and returns it.
	SigningSeed(ctx context.Context, candidate []byte) ([]byte, error)
}
