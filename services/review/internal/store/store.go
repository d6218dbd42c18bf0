package store

import (
	"context"

	"github.com/grantflow/grantflow/pkg/storekit"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/review/internal/domain"
)

// The store's errors are the kit's (storekit), under the names the engines use.
var (
	// ErrNotFound is returned for a missing campaign or item.
	ErrNotFound = storekit.ErrNotFound
	// ErrConflict is returned by a create whose id exists and by an update whose version is
	// stale.
	ErrConflict = storekit.ErrConflict
)

// CampaignFilter narrows ListCampaigns. Empty fields do not filter.
type CampaignFilter struct {
	Status domain.Status
	// ReviewerID: only campaigns where this person reviews at least one item.
	ReviewerID string
}

// ItemFilter narrows ListItems. CampaignID is required; empty fields do not filter.
type ItemFilter struct {
	CampaignID string
	ReviewerID string
	Status     domain.ItemStatus
}

// Page pages campaigns, newest first (descending id), and items, in ascending id.
type Page = storekit.Page[string]

// Reader answers queries. Inside a transaction it sees the transaction's own writes.
type Reader interface {
	GetCampaign(ctx context.Context, id string) (domain.Campaign, error)
	ListCampaigns(ctx context.Context, f CampaignFilter, p Page) ([]domain.Campaign, error)
	// Progress counts the campaign's items by status and decision.
	Progress(ctx context.Context, campaignID string) (domain.Progress, error)
	// IsReviewer reports whether user reviews at least one item of the campaign.
	IsReviewer(ctx context.Context, campaignID, user string) (bool, error)
	// PendingReviewers returns, ascending and once each, the reviewers of the campaign's
	// PENDING items (not BLOCKED ones: those cannot be decided yet).
	PendingReviewers(ctx context.Context, campaignID string) ([]string, error)
	// OpenItemCount counts the PENDING and BLOCKED items that reviewer reviews.
	OpenItemCount(ctx context.Context, campaignID, reviewer string) (int, error)
	GetItem(ctx context.Context, campaignID, itemID string) (domain.Item, error)
	ListItems(ctx context.Context, f ItemFilter, p Page) ([]domain.Item, error)
	// OpenItemsOf returns the PENDING and BLOCKED items of user on app, in every ACTIVE
	// campaign, ordered by campaign then item id.
	OpenItemsOf(ctx context.Context, user, app string) ([]domain.Item, error)
	// ItemsByRequest returns the items whose decision opened request.
	ItemsByRequest(ctx context.Context, requestID string) ([]domain.Item, error)
}

// Tx is a write transaction.
type Tx interface {
	Reader
	// Scheduler sets and cancels the service's timers (the campaigns' reminders): they
	// commit with the transaction.
	timer.Scheduler
	// LockCampaign returns the campaign, holding its lock until the transaction ends.
	LockCampaign(ctx context.Context, id string) (domain.Campaign, error)
	// LockItem returns the item, holding its lock until the transaction ends.
	LockItem(ctx context.Context, campaignID, itemID string) (domain.Item, error)

	// CreateCampaign writes a new campaign; ErrConflict if its id exists.
	CreateCampaign(ctx context.Context, c domain.Campaign) error
	// UpdateCampaign writes c if the stored version is c.Version-1 (else ErrConflict).
	UpdateCampaign(ctx context.Context, c domain.Campaign) error
	// CreateItems writes new items (a launch writes them in batches); ErrConflict if an id
	// exists.
	CreateItems(ctx context.Context, items []domain.Item) error
	// UpdateItem writes it if the stored version is it.Version-1 (else ErrConflict).
	UpdateItem(ctx context.Context, it domain.Item) error
	// CloseItems marks the campaign's PENDING and BLOCKED items NOT_REVIEWED (blocked reason
	// cleared) and returns how many.
	CloseItems(ctx context.Context, campaignID string) (int, error)

	// MarkProcessed records that the receiver applies a delivered event, and reports whether
	// it is new (false: applied before, skip it). It commits with the change.
	storekit.Marker
	// Emit appends an event to the outbox for the given sinks; it commits with the change.
	storekit.Emitter
}

// Store is the review service's storage.
type Store interface {
	Reader
	// Store fires due timers, each in a transaction that also removes it.
	timer.Store[Tx]
	// OutboxShell is the closure transaction on Tx, Ping, Close and the relays' outbox.
	storekit.OutboxShell[Tx]
}
