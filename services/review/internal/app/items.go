package app

import (
	"context"
	"fmt"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// ItemQuery is an item list request.
type ItemQuery struct {
	CampaignID string
	ReviewerID string
	Status     domain.ItemStatus
	PageSize   int32
	PageToken  string
}

// ListItems returns a campaign's items in id order: any reviewer's for Admin and GM, the
// caller's own for a reviewer (reviewer_id defaults to them; naming someone else is
// PERMISSION_DENIED).
func (s *Service) ListItems(ctx context.Context, q ItemQuery) ([]domain.Item, string, error) {
	_, who, err := caller(ctx)
	if err != nil {
		return nil, "", err
	}
	size, err := pageSize(q.PageSize)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeToken(q.PageToken)
	if err != nil {
		return nil, "", err
	}
	_, acc, err := s.visible(ctx, s.store, who, q.CampaignID)
	if err != nil {
		return nil, "", err
	}
	if !acc.SeeAllItems {
		switch q.ReviewerID {
		case "":
			q.ReviewerID = who.UserID
		case who.UserID:
		default:
			return nil, "", errs.PermissionDenied("a reviewer lists only their own items")
		}
	}
	items, err := s.store.ListItems(ctx, store.ItemFilter{CampaignID: q.CampaignID, ReviewerID: q.ReviewerID, Status: q.Status},
		store.Page{Size: size + 1, After: after})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(items) > size {
		items = items[:size]
		next = encodeToken(items[size-1].ID)
	}
	return items, next, nil
}

// visibleItem returns the campaign and the item if the caller may see the item (Admin,
// GM, its reviewers); NOT_FOUND otherwise.
func (s *Service) visibleItem(ctx context.Context, r store.Reader, who domain.Caller, campaignID, itemID string) (domain.Campaign, domain.Item, error) {
	c, acc, err := s.visible(ctx, r, who, campaignID)
	if err != nil {
		return c, domain.Item{}, err
	}
	it, err := r.GetItem(ctx, campaignID, itemID)
	if err != nil {
		return c, it, appkit.NotFound(err, "access review item", itemID)
	}
	if !acc.SeeAllItems && !it.IsReviewer(who.UserID) {
		return c, it, appkit.NotFound(store.ErrNotFound, "access review item", itemID)
	}
	return c, it, nil
}

// Decide records a reviewer's decision on a PENDING item of an ACTIVE campaign. CHANGE and
// REMOVE first open their request through the request service, as the caller, with the
// item as its origin and a client request id derived from the item: a retried decision
// gets the same request, and of two deciders at once exactly one is recorded (the other
// gets FAILED_PRECONDITION, or ABORTED from the request service when their request
// differed).
func (s *Service) Decide(ctx context.Context, campaignID, itemID string, v domain.Verdict) (domain.Item, error) {
	_, who, err := caller(ctx)
	if err != nil {
		return domain.Item{}, err
	}
	c, it, err := s.visibleItem(ctx, s.store, who, campaignID, itemID)
	if err != nil {
		return domain.Item{}, err
	}
	if !domain.MayDecide(who, it) {
		return domain.Item{}, errs.PermissionDenied("nobody decides the review of their own access")
	}
	if err := it.CheckDecidable(c); err != nil {
		return domain.Item{}, stateError(err, "access review item "+itemID)
	}
	var perms []string
	if v.Decision == domain.Change {
		if perms, err = s.appPermissions(ctx, it.AppID); err != nil {
			return domain.Item{}, err
		}
	}
	if err := it.ValidateVerdict(v, perms); err != nil {
		return domain.Item{}, fieldError(err)
	}
	requestID, requestStatus := "", ""
	if v.Decision != domain.Keep {
		r, err := s.submit(ctx, c, it, v)
		if err != nil {
			return domain.Item{}, err
		}
		requestID, requestStatus = r.GetId(), r.GetStatus().String()
	}
	var out domain.Item
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		c, err := tx.LockCampaign(ctx, campaignID)
		if err != nil {
			return appkit.NotFound(err, "access review", campaignID)
		}
		it, err := tx.LockItem(ctx, campaignID, itemID)
		if err != nil {
			return appkit.NotFound(err, "access review item", itemID)
		}
		if err := it.CheckDecidable(c); err != nil {
			return stateError(err, "access review item "+itemID)
		}
		out = it.Decide(v, who.UserID, s.now(), requestID, requestStatus)
		if err := tx.UpdateItem(ctx, out); err != nil {
			return stateError(err, "access review item "+itemID)
		}
		return s.emitItem(ctx, tx, ActionItemDecided, out, "")
	})
	if err != nil {
		return domain.Item{}, err
	}
	return out, nil
}

// appPermissions returns the names of the permissions the app has now.
func (s *Service) appPermissions(ctx context.Context, appID string) ([]string, error) {
	facts, err := s.identityInternal.GetFacts(asSystem(ctx), &identityv1.GetFactsRequest{AppIds: []string{appID}})
	if err != nil {
		return nil, fmt.Errorf("review: ask identity about app %s: %w", appID, err)
	}
	var out []string
	for _, p := range facts.GetApps()[appID].GetPermissions() {
		out = append(out, p.GetName())
	}
	return out, nil
}

// submit opens the request of a CHANGE or REMOVE decision, as the caller.
func (s *Service) submit(ctx context.Context, c domain.Campaign, it domain.Item, v domain.Verdict) (*requestv1.Request, error) {
	in := &requestv1.SubmitRequestRequest{
		RequestId: requestKey(it.ID), TargetUserId: it.UserID, AppId: it.AppID,
		Reason: fmt.Sprintf("access review %q: %s", c.Name, v.Justification),
		Origin: &requestv1.Origin{AccessReviewId: c.ID, ItemId: it.ID},
	}
	switch v.Decision {
	case domain.Change:
		in.Type, in.Permission = typev1.RequestType_CHANGE_PERMISSION, v.Permission
	case domain.Remove:
		in.Type, in.Permission = typev1.RequestType_REMOVE_ACCESS, it.Permission
	}
	r, err := s.requests.SubmitRequest(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("review: open the %s request of item %s: %w", in.Type, it.ID, err)
	}
	return r, nil
}

// InternalItem returns an item to another Grantflow service (the request service verifying
// the origin of a review's request): no visibility rule applies.
func (s *Service) InternalItem(ctx context.Context, campaignID, itemID string) (domain.Item, error) {
	p, ok := auth.FromContext(ctx)
	if !ok || !p.Internal {
		return domain.Item{}, errs.PermissionDenied("this call is internal to Grantflow")
	}
	it, err := s.store.GetItem(ctx, campaignID, itemID)
	return it, appkit.NotFound(err, "access review item", itemID)
}
