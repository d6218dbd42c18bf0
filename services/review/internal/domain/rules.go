package domain

import (
	"slices"
	"strings"
)

// Blocking facts about one access: whether its user owns the app, and the user's open
// request on the app, if any.
type Blocking struct {
	OwnsApp       bool
	OpenRequestID string
}

// Reason says why an item with these facts is blocked; "" when it is not.
func (b Blocking) Reason() string {
	switch {
	case b.OwnsApp:
		return "owner of the app"
	case b.OpenRequestID != "":
		return "open request " + b.OpenRequestID + " on the app"
	}
	return ""
}

// ReviewerFacts is what resolving an item's reviewers needs.
type ReviewerFacts struct {
	// ManagerID: the reviewed user's manager ("" for the General Manager).
	ManagerID string
	// OwnerIDs: the app's owners.
	OwnerIDs []string
	// AdminIDs: the fallback when nobody else may review.
	AdminIDs []string
}

// Reviewers resolves who reviews an access of user under campaign c. Nobody reviews their
// own access: the user is left out, and an item left with nobody goes to the admins (still
// without the user). fellBack reports that the admins were used. The result is ascending
// and without duplicates.
func (c Campaign) Reviewers(user string, f ReviewerFacts) (ids []string, fellBack bool) {
	var spec []string
	switch c.ReviewerKind {
	case ByManager:
		if f.ManagerID != "" {
			spec = []string{f.ManagerID}
		}
	case ByAppOwner:
		spec = f.OwnerIDs
	case ByUsers:
		spec = c.ReviewerUserIDs
	}
	ids = without(spec, user)
	if len(ids) == 0 {
		return without(f.AdminIDs, user), true
	}
	return ids, false
}

func without(ids []string, user string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && id != user {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, strings.Compare)
	return slices.Compact(out)
}
