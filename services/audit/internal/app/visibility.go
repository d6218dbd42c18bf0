package app

import (
	"context"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// RequestVisibility decides, for a caller who is not Admin or GM, whether they may see a
// request, and with it the request's events (its lineage, when they query by request id).
// The request service owns that rule (authz.CanViewRequest over the request's facts); the
// implementation that asks it is audit.RequestServiceVisibility.
type RequestVisibility interface {
	CanSee(ctx context.Context, p auth.Principal, requestID string) (bool, error)
}

// OwnEventsOnly is the RequestVisibility when none is given (audit run alone, as in its
// unit tests): it lets nobody see a request through it, so a caller who is not Admin or GM sees only the events that are
// theirs anyway (see visibleToCaller).
type OwnEventsOnly struct{}

// CanSee always answers false.
func (OwnEventsOnly) CanSee(context.Context, auth.Principal, string) (bool, error) { return false, nil }

// visibleToCaller filters events for a caller who is not Admin or GM: an event is visible
// when the caller did it (actor_id), when it is about the caller (subject users/<id>), or
// when it belongs to a request the caller may see (RequestVisibility, asked once per
// request per call).
type visibleToCaller struct {
	p     auth.Principal
	vis   RequestVisibility
	asked map[string]bool
}

func (v *visibleToCaller) visible(ctx context.Context, e *domain.Event) (bool, error) {
	if v.p.UserID == "" {
		return false, nil
	}
	if e.Concerns(v.p.UserID) {
		return true, nil
	}
	if e.RequestID == "" {
		return false, nil
	}
	if ok, seen := v.asked[e.RequestID]; seen {
		return ok, nil
	}
	ok, err := v.vis.CanSee(ctx, v.p, e.RequestID)
	if err != nil {
		return false, err
	}
	v.asked[e.RequestID] = ok
	return ok, nil
}
