package app

import (
	"context"
	"fmt"
	"slices"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// Ingest applies the events identity and request deliver to the review service (at least
// once; each event id is applied once, recorded in the transaction that applies it), and
// returns how many were new:
//
//   - app.updated (its owners changed): the open items of the people who became or stopped
//     being the app's owners are checked again;
//   - request.created, .done, .cancelled, .failed, .declined: the open items of the
//     request's target user on its app are checked again, and the items whose decision
//     opened the request follow its status.
//
// "Checked again" reads the facts as they are now (the user owns the app, the user has a
// request in progress on it) after locking the items, so whatever order identity's and
// request's events arrive in, the last one to be applied leaves each item as the facts
// are: BLOCKED with the reason, or PENDING.
func (s *Service) Ingest(ctx context.Context, evs []*eventsv1.Event) (int, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || !p.Internal {
		return 0, errs.PermissionDenied("events are delivered by Grantflow services only")
	}
	accepted := 0
	for _, ev := range evs {
		isNew, err := s.receive(ctx, ev)
		if err != nil {
			return accepted, fmt.Errorf("review: apply event %s (%s): %w", ev.GetId(), ev.GetAction(), err)
		}
		if isNew {
			accepted++
		}
	}
	return accepted, nil
}

// pair is one user's accesses to one app: the items to check again.
type pair struct{ user, app string }

func (s *Service) receive(ctx context.Context, ev *eventsv1.Event) (bool, error) {
	var (
		pairs          []pair
		followed       string // the request whose status items follow
		followedStatus string
	)
	switch {
	case ev.GetAction() == "app.updated" && ev.GetAppChanged() != nil:
		a := ev.GetAppChanged()
		for _, u := range sortedUnique(append(slices.Clone(a.GetOwnerIds()), a.GetPreviousOwnerIds()...)) {
			pairs = append(pairs, pair{user: u, app: a.GetAppId()})
		}
	case ev.GetRequestChanged() != nil:
		r := ev.GetRequestChanged()
		if r.GetTargetUserId() != "" && r.GetAppId() != "" {
			pairs = append(pairs, pair{user: r.GetTargetUserId(), app: r.GetAppId()})
		}
		followed, followedStatus = ev.GetRequestId(), r.GetStatus()
	}
	isNew := false
	err := s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if isNew, err = tx.MarkProcessed(ctx, ev.GetId()); err != nil || !isNew {
			return err
		}
		if followed != "" && followedStatus != "" {
			if err := s.followRequest(ctx, tx, followed, followedStatus); err != nil {
				return err
			}
		}
		for _, pr := range pairs {
			if err := s.recheck(ctx, tx, pr); err != nil {
				return err
			}
		}
		return nil
	})
	return isNew, err
}

// followRequest records a request's status on the items whose decision opened it. A
// status the request has left behind never overwrites the last one (a closed request
// stays closed).
func (s *Service) followRequest(ctx context.Context, tx store.Tx, requestID, status string) error {
	items, err := tx.ItemsByRequest(ctx, requestID)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it, err = tx.LockItem(ctx, it.CampaignID, it.ID); err != nil {
			return err
		}
		if requestClosed(it.RequestStatus) {
			continue
		}
		next, changed := it.FollowRequest(status)
		if !changed {
			continue
		}
		if err := tx.UpdateItem(ctx, next); err != nil {
			return err
		}
		if err := s.emitItem(ctx, tx, ActionItemRequest, next, auth.SystemUserID); err != nil {
			return err
		}
	}
	return nil
}

// requestClosed reports whether a request status is final.
func requestClosed(status string) bool {
	return status != "" && status != requestv1.Request_IN_PROGRESS.String()
}

// recheck blocks or releases the open items of one user on one app, in every active
// campaign, from the facts as they are now.
func (s *Service) recheck(ctx context.Context, tx store.Tx, pr pair) error {
	items, err := tx.OpenItemsOf(ctx, pr.user, pr.app)
	if err != nil || len(items) == 0 {
		return err
	}
	locked := make([]domain.Item, 0, len(items))
	for _, it := range items {
		it, err := tx.LockItem(ctx, it.CampaignID, it.ID)
		if err != nil {
			return err
		}
		locked = append(locked, it)
	}
	owns, open, err := s.blockingFacts(ctx, pr)
	if err != nil {
		return err
	}
	for _, it := range locked {
		b := domain.Blocking{OwnsApp: owns}
		for _, r := range open {
			// The request an item's own decision opened (its client request id is the
			// item's) never blocks it: the decision is being recorded.
			if r.GetRequestId() != requestKey(it.ID) {
				b.OpenRequestID = r.GetId()
				break
			}
		}
		var (
			next    domain.Item
			changed bool
			action  = ActionItemBlocked
		)
		if reason := b.Reason(); reason != "" {
			next, changed = it.Block(reason)
		} else {
			next, changed = it.Unblock()
			action = ActionItemUnblocked
		}
		if !changed {
			continue
		}
		if err := tx.UpdateItem(ctx, next); err != nil {
			return err
		}
		if err := s.emitItem(ctx, tx, action, next, auth.SystemUserID); err != nil {
			return err
		}
	}
	return nil
}

// blockingFacts asks identity whether the user owns the app now, and request for the
// user's requests in progress on it (a few: one per origin at most in practice).
func (s *Service) blockingFacts(ctx context.Context, pr pair) (bool, []*requestv1.Request, error) {
	sys := asSystem(ctx)
	facts, err := s.identityInternal.GetFacts(sys, &identityv1.GetFactsRequest{AppIds: []string{pr.app}})
	if err != nil {
		return false, nil, fmt.Errorf("ask identity about app %s: %w", pr.app, err)
	}
	owns := slices.Contains(facts.GetApps()[pr.app].GetOwnerIds(), pr.user)
	open, err := s.requests.ListRequests(sys, &requestv1.ListRequestsRequest{
		Status: requestv1.Request_IN_PROGRESS, AppId: pr.app, TargetUserId: pr.user, PageSize: 10,
	})
	if err != nil {
		return false, nil, fmt.Errorf("list the open requests of user %s on app %s: %w", pr.user, pr.app, err)
	}
	return owns, open.GetRequests(), nil
}
