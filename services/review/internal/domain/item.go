package domain

import (
	"slices"
	"time"
)

// ItemStatus is where an item stands.
type ItemStatus string

const (
	Pending     ItemStatus = "PENDING"
	Decided     ItemStatus = "DECIDED"
	Blocked     ItemStatus = "BLOCKED"
	NotReviewed ItemStatus = "NOT_REVIEWED"
)

// Decision is a reviewer's verdict on an access.
type Decision string

const (
	NoDecision Decision = ""
	Keep       Decision = "KEEP"
	Change     Decision = "CHANGE"
	Remove     Decision = "REMOVE"
)

// Item is one access under review.
type Item struct {
	ID         string
	CampaignID string
	UserID     string
	AppID      string
	Permission string
	GrantTime  time.Time
	// ReviewerIDs: who may decide it (Admin and GM may too), ascending.
	ReviewerIDs   []string
	Status        ItemStatus
	Decision      Decision
	NewPermission string
	DecidedBy     string
	DecideTime    time.Time
	Justification string
	// RequestID: the request a CHANGE or REMOVE opened; RequestStatus its status as last
	// heard from the request service.
	RequestID     string
	RequestStatus string
	BlockedReason string
	// What the export shows of the user and the app, as they were at launch.
	UserEmail, UserName, AppName string
	Version                      int64
}

// Clone returns a deep copy.
func (i Item) Clone() Item {
	i.ReviewerIDs = slices.Clone(i.ReviewerIDs)
	return i
}

// IsReviewer reports whether user is one of the item's reviewers.
func (i Item) IsReviewer(user string) bool {
	_, ok := slices.BinarySearch(i.ReviewerIDs, user)
	return ok
}

// Open reports whether the item still waits for a decision (PENDING or BLOCKED).
func (i Item) Open() bool { return i.Status == Pending || i.Status == Blocked }

// Verdict is a reviewer's decision as given.
type Verdict struct {
	Decision      Decision
	Permission    string // CHANGE: the new permission
	Justification string
}

// CheckDecidable refuses a decision on an item that cannot take one (campaign not active,
// item blocked, decided or not reviewed).
func (i Item) CheckDecidable(c Campaign) error {
	if c.Status != Active {
		return ErrNotActive
	}
	switch i.Status {
	case Blocked:
		return ErrItemBlocked
	case Decided:
		return ErrItemDecided
	case NotReviewed:
		return ErrItemNotReviewed
	}
	return nil
}

// ValidateVerdict checks the verdict against the app's permissions (appPermissions: the
// names the app has now). It names the request's fields.
func (i Item) ValidateVerdict(v Verdict, appPermissions []string) error {
	var fe FieldErrors
	switch v.Decision {
	case Keep, Remove:
		if v.Permission != "" {
			fe.Add("permission", "only a CHANGE names a permission")
		}
	case Change:
		switch {
		case v.Permission == "":
			fe.Add("permission", "a CHANGE needs the new permission")
		case !slices.Contains(appPermissions, v.Permission):
			fe.Add("permission", "the app has no permission "+quote(v.Permission))
		case v.Permission == i.Permission:
			fe.Add("permission", "the user already holds "+quote(v.Permission)+": decide KEEP")
		}
	default:
		fe.Add("decision", "must be KEEP, CHANGE or REMOVE")
	}
	return fe.Err()
}

// Decide records the verdict (after CheckDecidable and ValidateVerdict). requestID is the
// request a CHANGE or REMOVE opened ("" for KEEP).
func (i Item) Decide(v Verdict, by string, now time.Time, requestID, requestStatus string) Item {
	i = i.Clone()
	i.Status, i.Decision, i.DecidedBy, i.DecideTime, i.Justification = Decided, v.Decision, by, now, v.Justification
	if v.Decision == Change {
		i.NewPermission = v.Permission
	}
	i.RequestID, i.RequestStatus = requestID, requestStatus
	i.Version++
	return i
}

// Block marks an open item BLOCKED with reason; it reports whether anything changed.
func (i Item) Block(reason string) (Item, bool) {
	if !i.Open() || (i.Status == Blocked && i.BlockedReason == reason) {
		return i, false
	}
	i = i.Clone()
	i.Status, i.BlockedReason = Blocked, reason
	i.Version++
	return i, true
}

// Unblock makes a BLOCKED item PENDING again; it reports whether anything changed.
func (i Item) Unblock() (Item, bool) {
	if i.Status != Blocked {
		return i, false
	}
	i = i.Clone()
	i.Status, i.BlockedReason = Pending, ""
	i.Version++
	return i, true
}

// FollowRequest records the status of the item's request; it reports whether it changed.
func (i Item) FollowRequest(status string) (Item, bool) {
	if i.RequestStatus == status {
		return i, false
	}
	i = i.Clone()
	i.RequestStatus = status
	i.Version++
	return i, true
}

func quote(s string) string { return `"` + s + `"` }
