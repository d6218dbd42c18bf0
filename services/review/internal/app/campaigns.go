package app

import (
	"context"
	"fmt"
	"slices"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// CampaignView is a campaign with its progress counts.
type CampaignView struct {
	domain.Campaign
	Progress domain.Progress
}

// Create creates a DRAFT campaign (Admin, GM). The apps must exist and be active, the
// USERS reviewers must exist and be active: otherwise INVALID_ARGUMENT naming the field,
// and nothing is written.
func (s *Service) Create(ctx context.Context, n domain.NewCampaign) (CampaignView, error) {
	_, who, err := caller(ctx)
	if err != nil {
		return CampaignView{}, err
	}
	if !who.Governs() {
		return CampaignView{}, errs.PermissionDenied("only an Admin or the General Manager creates access reviews")
	}
	now := s.now()
	if err := n.Validate(now); err != nil {
		return CampaignView{}, fieldError(err)
	}
	if err := s.checkReferences(ctx, n); err != nil {
		return CampaignView{}, err
	}
	c := n.Create(newID(), who.UserID, now)
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateCampaign(ctx, c); err != nil {
			return err
		}
		return s.emitCampaign(ctx, tx, ActionCreated, c, 0, nil, "")
	})
	return CampaignView{Campaign: c}, err
}

// checkReferences asks identity whether the named apps and reviewers exist and are active.
func (s *Service) checkReferences(ctx context.Context, n domain.NewCampaign) error {
	if len(n.AppIDs) == 0 && len(n.ReviewerUserIDs) == 0 {
		return nil
	}
	facts, err := s.identityInternal.GetFacts(asSystem(ctx), &identityv1.GetFactsRequest{AppIds: n.AppIDs, UserIds: n.ReviewerUserIDs})
	if err != nil {
		return fmt.Errorf("review: ask identity about the campaign's apps and reviewers: %w", err)
	}
	var fe domain.FieldErrors
	for i, id := range n.AppIDs {
		a, ok := facts.GetApps()[id]
		switch {
		case !ok:
			fe.Add(fmt.Sprintf("scope.app_ids[%d]", i), "no app "+quoted(id))
		case a.GetStatus() != identityv1.App_ACTIVE:
			fe.Add(fmt.Sprintf("scope.app_ids[%d]", i), "app "+quoted(id)+" is archived")
		}
	}
	for i, id := range n.ReviewerUserIDs {
		u, ok := facts.GetUsers()[id]
		switch {
		case !ok:
			fe.Add(fmt.Sprintf("reviewer.user_ids[%d]", i), "no user "+quoted(id))
		case u.GetStatus() != identityv1.User_ACTIVE:
			fe.Add(fmt.Sprintf("reviewer.user_ids[%d]", i), "user "+quoted(id)+" is offboarded")
		}
	}
	return fieldError(fe.Err())
}

// visible returns the campaign if the caller may see it (Admin, GM, a reviewer of one of
// its items); NOT_FOUND otherwise, as for a campaign that does not exist.
func (s *Service) visible(ctx context.Context, r store.Reader, who domain.Caller, id string) (domain.Campaign, domain.Access, error) {
	c, err := r.GetCampaign(ctx, id)
	if err != nil {
		return c, domain.Access{}, appkit.NotFound(err, "access review", id)
	}
	isReviewer := false
	if !who.Governs() {
		if isReviewer, err = r.IsReviewer(ctx, id, who.UserID); err != nil {
			return c, domain.Access{}, err
		}
	}
	acc := domain.CampaignAccess(who, isReviewer)
	if !acc.See {
		return c, acc, appkit.NotFound(store.ErrNotFound, "access review", id)
	}
	return c, acc, nil
}

// Get returns a campaign with its progress.
func (s *Service) Get(ctx context.Context, id string) (CampaignView, error) {
	_, who, err := caller(ctx)
	if err != nil {
		return CampaignView{}, err
	}
	c, _, err := s.visible(ctx, s.store, who, id)
	if err != nil {
		return CampaignView{}, err
	}
	return s.view(ctx, s.store, c)
}

func (s *Service) view(ctx context.Context, r store.Reader, c domain.Campaign) (CampaignView, error) {
	p, err := r.Progress(ctx, c.ID)
	return CampaignView{Campaign: c, Progress: p}, err
}

// ListQuery is a campaign list request.
type ListQuery struct {
	Status    domain.Status
	PageSize  int32
	PageToken string
}

// List returns the campaigns the caller may see, newest first: every one for Admin and GM,
// those they review items of for the others.
func (s *Service) List(ctx context.Context, q ListQuery) ([]CampaignView, string, error) {
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
	f := store.CampaignFilter{Status: q.Status}
	if !who.Governs() {
		f.ReviewerID = who.UserID
	}
	cs, err := s.store.ListCampaigns(ctx, f, store.Page{Size: size + 1, After: after})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(cs) > size {
		cs = cs[:size]
		next = encodeToken(cs[size-1].ID)
	}
	out := make([]CampaignView, 0, len(cs))
	for _, c := range cs {
		v, err := s.view(ctx, s.store, c)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, next, nil
}

// Close closes an ACTIVE campaign (Admin, GM): its PENDING and BLOCKED items become
// NOT_REVIEWED, its reminder (if not fired yet) is cancelled, and nothing else changes.
func (s *Service) Close(ctx context.Context, id string) (CampaignView, error) {
	_, who, err := caller(ctx)
	if err != nil {
		return CampaignView{}, err
	}
	var out CampaignView
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		_, acc, err := s.visible(ctx, tx, who, id)
		if err != nil {
			return err
		}
		if !acc.Manage {
			return errs.PermissionDenied("only an Admin or the General Manager closes access reviews")
		}
		c, err := tx.LockCampaign(ctx, id)
		if err != nil {
			return err
		}
		closed, err := c.Close(s.now())
		if err != nil {
			return stateError(err, "access review "+id)
		}
		if err := tx.UpdateCampaign(ctx, closed); err != nil {
			return stateError(err, "access review "+id)
		}
		n, err := tx.CloseItems(ctx, id)
		if err != nil {
			return err
		}
		if err := cancelReminder(ctx, tx, id); err != nil {
			return err
		}
		if err := s.emitCampaign(ctx, tx, ActionClosed, closed, n, nil, ""); err != nil {
			return err
		}
		out, err = s.view(ctx, tx, closed)
		return err
	})
	return out, err
}

// sortedUnique returns ids ascending without duplicates.
func sortedUnique(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}
