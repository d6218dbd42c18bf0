package domain

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grantflow/grantflow/pkg/errs"
)

// Webhook is a subscription: where to POST which events, signed with Secret.
type Webhook struct {
	ID          string
	URL         string
	EventTypes  []string
	Description string
	Disabled    bool
	// Secret is the raw signing key (the bytes behind "whsec_" + base64).
	Secret     []byte
	CreatedBy  string
	CreateTime time.Time
	UpdateTime time.Time
	// Seq orders subscriptions by creation (list order, page tokens); set by the store.
	Seq int64
}

// Matches reports whether an event of type eventType goes to w: w is enabled and one of its
// filters matches (no filter: every event).
func (w *Webhook) Matches(eventType string) bool {
	return !w.Disabled && MatchesFilters(w.EventTypes, eventType)
}

// MatchesFilters reports whether eventType matches one of filters: an exact type, or a
// prefix ending in * ("request.*" matches "request.created"; "*" matches everything). No
// filter matches every event.
func MatchesFilters(filters []string, eventType string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if prefix, ok := strings.CutSuffix(f, "*"); ok {
			if strings.HasPrefix(eventType, prefix) {
				return true
			}
		} else if f == eventType {
			return true
		}
	}
	return false
}

// NormalizeEventTypes checks the filters of field (event_types): each an event type of
// KnownEventTypes or a prefix with * that one of them has; duplicates are dropped, order
// kept.
func NormalizeEventTypes(field string, filters []string) ([]string, error) {
	out := make([]string, 0, len(filters))
	for i, f := range filters {
		f = strings.TrimSpace(f)
		name := field + "[" + strconv.Itoa(i) + "]"
		if f == "" {
			return nil, errs.Invalid(name, "empty event type")
		}
		if prefix, ok := strings.CutSuffix(f, "*"); ok {
			if strings.Contains(prefix, "*") {
				return nil, errs.Invalid(name, "* may only end a prefix (request.*)")
			}
			if prefix != "" && !strings.HasSuffix(prefix, ".") {
				return nil, errs.Invalid(name, "a prefix ends with .* (request.*)")
			}
			if !slices.ContainsFunc(KnownEventTypes(), func(t string) bool { return strings.HasPrefix(t, prefix) }) {
				return nil, errs.Invalid(name, "no event type starts with "+prefix)
			}
		} else if !IsKnownEventType(f) {
			return nil, errs.Invalid(name, "unknown event type "+f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}
