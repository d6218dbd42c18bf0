package store

import (
	"context"

	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
)

// The store's errors are the kit's (storekit), under the names the engines use.
var (
	// ErrNotFound is returned by Get* for a missing row.
	ErrNotFound = storekit.ErrNotFound
	// ErrConflict is returned for a unique violation (email, app name, key hash) or a stale
	// version on update.
	ErrConflict = storekit.ErrConflict
)

// Page is a page request: results are ordered by id.
type Page = storekit.Page[string]

// UserFilter narrows ListUsers. Empty fields do not filter.
type UserFilter struct {
	ManagerID string
	// IDs, if non-nil, restricts the result to these users (visibility).
	IDs []string
	// Role restricts to users of this role.
	Role domain.Role
	// ActiveOnly drops offboarded users.
	ActiveOnly bool
	// Email matches the email in any case; ExternalID exactly; DisplayName in any case.
	Email       string
	ExternalID  string
	DisplayName string
}

// AppFilter narrows ListApps.
type AppFilter struct {
	OwnerID string
	// IDs, if non-nil, restricts the result to these apps.
	IDs []string
}

// AccessFilter narrows ListAccesses. Visibility is an OR of the Visible* fields when any
// is set: accesses of VisibleUserIDs, or of apps in VisibleAppIDs.
type AccessFilter struct {
	UserID         string
	AppID          string
	Permissions    []string // only these permission names
	VisibleUserIDs []string
	VisibleAppIDs  []string
	Restricted     bool // apply the Visible* fields (false: Admin/GM see everything)
}

// Reader answers queries. Inside a transaction it sees the transaction's own writes.
type Reader interface {
	GetUser(ctx context.Context, id string) (domain.User, error)
	GetUserByEmail(ctx context.Context, email string) (domain.User, error)
	GetUsers(ctx context.Context, ids []string) ([]domain.User, error)
	ListUsers(ctx context.Context, f UserFilter, p Page) ([]domain.User, error)
	// DirectReports returns the ids of active and offboarded users whose manager is id.
	DirectReports(ctx context.Context, managerID string) ([]string, error)
	// HasReports reports, for each id, whether an active user reports to it.
	HasReports(ctx context.Context, ids []string) (map[string]bool, error)

	GetGroup(ctx context.Context, id string) (domain.Group, error)
	GetGroups(ctx context.Context, ids []string) ([]domain.Group, error)
	ListGroups(ctx context.Context, p Page) ([]domain.Group, error)

	GetApp(ctx context.Context, id string) (domain.App, error)
	GetAppByName(ctx context.Context, name string) (domain.App, error)
	GetApps(ctx context.Context, ids []string) ([]domain.App, error)
	ListApps(ctx context.Context, f AppFilter, p Page) ([]domain.App, error)
	// OwnedApps returns the ids of the apps userID owns.
	OwnedApps(ctx context.Context, userID string) ([]string, error)

	GetAccess(ctx context.Context, userID, appID string) (domain.Access, error)
	ListAccesses(ctx context.Context, f AccessFilter, p AccessPage) ([]domain.Access, error)

	GetAPIKeyByHash(ctx context.Context, hash []byte) (domain.APIKey, error)
	GetAPIKey(ctx context.Context, id string) (domain.APIKey, error)
	ListAPIKeys(ctx context.Context, userID string) ([]domain.APIKey, error)

	// AppliedRequest returns the result recorded for an effect already applied for
	// requestID ("" and ErrNotFound if none).
	AppliedRequest(ctx context.Context, requestID string) (string, error)

	OIDCReader
	ConnectorReader
	// DelegatedBy returns the delegations made by any of byUserIDs.
	DelegatedBy(ctx context.Context, byUserIDs []string) ([]domain.Delegation, error)
	// DelegatedInto returns the delegations into any of the assignee sets.
	DelegatedInto(ctx context.Context, sets []string) ([]domain.Delegation, error)
}

// AccessPage pages accesses, ordered by (user id, app id).
type AccessPage struct {
	Size        int
	AfterUserID string
	AfterAppID  string
}

// Tx is a write transaction.
type Tx interface {
	Reader
	// LockDirectory serializes changes to the manager line and roles (one GM, no cycles,
	// unique emails), across processes on PostgreSQL.
	LockDirectory(ctx context.Context) error

	CreateUser(ctx context.Context, u domain.User) error
	// UpdateUser writes u if the stored version is u.Version-1 (else ErrConflict).
	UpdateUser(ctx context.Context, u domain.User) error

	CreateGroup(ctx context.Context, g domain.Group) error
	UpdateGroup(ctx context.Context, g domain.Group) error
	DeleteGroup(ctx context.Context, id string) error

	CreateApp(ctx context.Context, a domain.App) error
	UpdateApp(ctx context.Context, a domain.App) error

	PutAccess(ctx context.Context, a domain.Access) error
	DeleteAccess(ctx context.Context, userID, appID string) error

	CreateAPIKey(ctx context.Context, k domain.APIKey) error
	RevokeAPIKey(ctx context.Context, id string, k domain.APIKey) error

	// RecordApplied remembers that requestID's effect was applied, with a result.
	RecordApplied(ctx context.Context, requestID, result string) error

	// RecordDelegation remembers who put a user into an assignee set (once per set, user
	// and author).
	RecordDelegation(ctx context.Context, d domain.Delegation) error

	// Emit appends an event to the outbox for the given sinks; it commits with the change.
	storekit.Emitter

	OIDCWriter
	ConnectorWriter
}

// Store is the identity service's storage.
type Store interface {
	Reader
	// OutboxShell is the closure transaction on Tx, Ping, Close and the relays' outbox.
	storekit.OutboxShell[Tx]
}
