package domain

import (
	"errors"
	"slices"
	"time"
)

// Status is where a campaign stands.
type Status string

const (
	Draft  Status = "DRAFT"
	Active Status = "ACTIVE"
	Closed Status = "CLOSED"
)

// ReviewerKind says who reviews a campaign's items.
type ReviewerKind string

const (
	// ByManager: the reviewed user's manager.
	ByManager ReviewerKind = "MANAGER"
	// ByAppOwner: the app's owners.
	ByAppOwner ReviewerKind = "APP_OWNER"
	// ByUsers: the campaign's named review owners.
	ByUsers ReviewerKind = "USERS"
)

// Campaign is an access review: which accesses are reviewed, by whom, by when.
type Campaign struct {
	ID          string
	Name        string
	Description string
	Status      Status
	// AppIDs: the apps in scope; empty means every active app (resolved at launch).
	AppIDs          []string
	ReviewerKind    ReviewerKind
	ReviewerUserIDs []string
	DueTime         time.Time // zero: none
	CreatorID       string
	CreateTime      time.Time
	LaunchTime      time.Time // zero until launched
	CloseTime       time.Time // zero until closed
	// Version increases on every write (optimistic check in the store).
	Version int64
}

// Progress counts a campaign's items. Kept, Changed and Removed count decided items by
// decision.
type Progress struct {
	Total, Pending, Kept, Changed, Removed, Blocked, NotReviewed int64
}

// Clone returns a deep copy.
func (c Campaign) Clone() Campaign {
	c.AppIDs = slices.Clone(c.AppIDs)
	c.ReviewerUserIDs = slices.Clone(c.ReviewerUserIDs)
	return c
}

// Errors of the state machines.
var (
	// ErrNotDraft: only a DRAFT campaign launches.
	ErrNotDraft = errors.New("campaign is not a draft")
	// ErrNotActive: only an ACTIVE campaign's items are decided, and only it closes.
	ErrNotActive = errors.New("campaign is not active")
	// ErrItemBlocked, ErrItemDecided, ErrItemNotReviewed: the item cannot be decided.
	ErrItemBlocked     = errors.New("item is blocked")
	ErrItemDecided     = errors.New("item is already decided")
	ErrItemNotReviewed = errors.New("item was not reviewed (its campaign closed)")
)

// NewCampaign is what a creator gives.
type NewCampaign struct {
	Name, Description string
	AppIDs            []string
	ReviewerKind      ReviewerKind
	ReviewerUserIDs   []string
	DueTime           time.Time
}

// Validate checks what needs no other service: the reviewer spec and the due time. The
// apps' existence is the caller's to check (identity knows them).
func (n NewCampaign) Validate(now time.Time) error {
	var fe FieldErrors
	switch n.ReviewerKind {
	case ByManager, ByAppOwner:
		if len(n.ReviewerUserIDs) > 0 {
			fe.Add("reviewer.user_ids", "only reviewer kind USERS names users")
		}
	case ByUsers:
		if len(n.ReviewerUserIDs) == 0 {
			fe.Add("reviewer.user_ids", "reviewer kind USERS needs at least one user")
		}
	default:
		fe.Add("reviewer.kind", "must be MANAGER, APP_OWNER or USERS")
	}
	if n.Name == "" {
		fe.Add("name", "required")
	}
	if !n.DueTime.IsZero() && !n.DueTime.After(now) {
		fe.Add("due_time", "must be in the future")
	}
	return fe.Err()
}

// Create returns the DRAFT campaign.
func (n NewCampaign) Create(id, creator string, now time.Time) Campaign {
	return Campaign{
		ID: id, Name: n.Name, Description: n.Description, Status: Draft,
		AppIDs: slices.Clone(n.AppIDs), ReviewerKind: n.ReviewerKind, ReviewerUserIDs: slices.Clone(n.ReviewerUserIDs),
		DueTime: n.DueTime, CreatorID: creator, CreateTime: now, Version: 1,
	}
}

// Launch moves a DRAFT campaign to ACTIVE.
func (c Campaign) Launch(now time.Time) (Campaign, error) {
	if c.Status != Draft {
		return c, ErrNotDraft
	}
	c = c.Clone()
	c.Status, c.LaunchTime = Active, now
	c.Version++
	return c, nil
}

// Close moves an ACTIVE campaign to CLOSED (its open items become NOT_REVIEWED: the
// store's CloseItems does that in the same transaction).
func (c Campaign) Close(now time.Time) (Campaign, error) {
	if c.Status != Active {
		return c, ErrNotActive
	}
	c = c.Clone()
	c.Status, c.CloseTime = Closed, now
	c.Version++
	return c, nil
}
