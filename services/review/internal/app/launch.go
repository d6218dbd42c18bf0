package app

import (
	"context"
	"fmt"
	"time"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// Launch launches a DRAFT campaign (Admin, GM): a snapshot of every access in scope at that
// moment, one item each, written in the same transaction as the campaign's move to ACTIVE.
// The snapshot is streamed from identity page by page and written batch by batch: no list
// of every access is held. Launching a campaign that is not a DRAFT is FAILED_PRECONDITION
// (the campaign's lock makes a concurrent second launch wait, then fail so). The same
// transaction sets the campaign's reminder (see scheduleReminder).
func (s *Service) Launch(ctx context.Context, id string) (CampaignView, error) {
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
			return errs.PermissionDenied("only an Admin or the General Manager launches access reviews")
		}
		c, err := tx.LockCampaign(ctx, id)
		if err != nil {
			return err
		}
		launched, err := c.Launch(s.now())
		if err != nil {
			return stateError(err, "access review "+id)
		}
		n, revs, err := s.snapshot(ctx, tx, launched)
		if err != nil {
			return err
		}
		if err := tx.UpdateCampaign(ctx, launched); err != nil {
			return stateError(err, "access review "+id)
		}
		if err := s.scheduleReminder(ctx, tx, launched); err != nil {
			return err
		}
		if err := s.emitCampaign(ctx, tx, ActionLaunched, launched, n, sortedKeys(revs), ""); err != nil {
			return err
		}
		out, err = s.view(ctx, tx, launched)
		return err
	})
	if err != nil {
		return CampaignView{}, err
	}
	return out, nil
}

// scopeApp is what a launch needs of an app in scope.
type scopeApp struct {
	id, name string
	owners   []string
}

// snapshot writes one item per access in scope and returns how many, and every reviewer.
func (s *Service) snapshot(ctx context.Context, tx store.Tx, c domain.Campaign) (int, map[string]bool, error) {
	sys := asSystem(ctx)
	apps, err := s.appsInScope(sys, c)
	if err != nil {
		return 0, nil, err
	}
	admins, err := s.identityInternal.ResolveAssignees(sys, &identityv1.ResolveAssigneesRequest{
		Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_ADMINS},
	})
	if err != nil {
		return 0, nil, fmt.Errorf("review: resolve the admins: %w", err)
	}
	total, reviewers := 0, map[string]bool{}
	for _, a := range apps {
		open, err := s.openRequests(sys, a.id)
		if err != nil {
			return 0, nil, err
		}
		token := ""
		for {
			page, err := s.identity.ListAccesses(sys, &identityv1.ListAccessesRequest{AppId: a.id, PageSize: int32(s.batch), PageToken: token})
			if err != nil {
				return 0, nil, fmt.Errorf("review: list the accesses of app %s: %w", a.id, err)
			}
			items, err := s.itemsOf(sys, c, a, page.GetAccesses(), open, admins.GetUserIds())
			if err != nil {
				return 0, nil, err
			}
			if err := tx.CreateItems(ctx, items); err != nil {
				return 0, nil, err
			}
			for _, it := range items {
				for _, r := range it.ReviewerIDs {
					reviewers[r] = true
				}
			}
			total += len(items)
			if token = page.GetNextPageToken(); token == "" {
				break
			}
		}
	}
	return total, reviewers, nil
}

// appsInScope returns the campaign's apps that are active now: the named ones, or every
// active app.
func (s *Service) appsInScope(ctx context.Context, c domain.Campaign) ([]scopeApp, error) {
	var out []scopeApp
	if len(c.AppIDs) > 0 {
		facts, err := s.identityInternal.GetFacts(ctx, &identityv1.GetFactsRequest{AppIds: c.AppIDs})
		if err != nil {
			return nil, fmt.Errorf("review: ask identity about the campaign's apps: %w", err)
		}
		for _, id := range c.AppIDs {
			if a, ok := facts.GetApps()[id]; ok && a.GetStatus() == identityv1.App_ACTIVE {
				out = append(out, scopeApp{id: id, name: a.GetName(), owners: a.GetOwnerIds()})
			}
		}
		return out, nil
	}
	token := ""
	for {
		page, err := s.identity.ListApps(ctx, &identityv1.ListAppsRequest{PageSize: 500, PageToken: token})
		if err != nil {
			return nil, fmt.Errorf("review: list the apps: %w", err)
		}
		for _, a := range page.GetApps() {
			if a.GetStatus() == identityv1.App_ACTIVE {
				out = append(out, scopeApp{id: a.GetId(), name: a.GetName(), owners: a.GetOwnerIds()})
			}
		}
		if token = page.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// openRequests returns, for one app, the users with a request in progress on it and the
// id of (one of) their requests.
func (s *Service) openRequests(ctx context.Context, appID string) (map[string]string, error) {
	out := map[string]string{}
	token := ""
	for {
		page, err := s.requests.ListRequests(ctx, &requestv1.ListRequestsRequest{
			Status: requestv1.Request_IN_PROGRESS, AppId: appID, PageSize: 500, PageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("review: list the open requests on app %s: %w", appID, err)
		}
		for _, r := range page.GetRequests() {
			if _, ok := out[r.GetTargetUserId()]; !ok && r.GetTargetUserId() != "" {
				out[r.GetTargetUserId()] = r.GetId()
			}
		}
		if token = page.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// itemsOf turns one page of accesses into items: reviewers resolved, blocked ones marked.
func (s *Service) itemsOf(ctx context.Context, c domain.Campaign, a scopeApp, accesses []*identityv1.Access, open map[string]string, admins []string) ([]domain.Item, error) {
	if len(accesses) == 0 {
		return nil, nil
	}
	users := make([]string, 0, len(accesses))
	for _, acc := range accesses {
		users = append(users, acc.GetUserId())
	}
	facts, err := s.identityInternal.GetFacts(ctx, &identityv1.GetFactsRequest{UserIds: sortedUnique(users)})
	if err != nil {
		return nil, fmt.Errorf("review: ask identity about the reviewed users: %w", err)
	}
	items := make([]domain.Item, 0, len(accesses))
	for _, acc := range accesses {
		u := facts.GetUsers()[acc.GetUserId()]
		reviewers, _ := c.Reviewers(acc.GetUserId(), domain.ReviewerFacts{ManagerID: u.GetManagerId(), OwnerIDs: a.owners, AdminIDs: admins})
		it := domain.Item{
			ID: newID(), CampaignID: c.ID, UserID: acc.GetUserId(), AppID: a.id, Permission: acc.GetPermission(),
			GrantTime: acc.GetGrantTime().AsTime().UTC(), ReviewerIDs: reviewers, Status: domain.Pending,
			UserEmail: u.GetEmail(), UserName: u.GetDisplayName(), AppName: a.name, Version: 1,
		}
		if acc.GetGrantTime() == nil {
			it.GrantTime = time.Time{}
		}
		b := domain.Blocking{OpenRequestID: open[acc.GetUserId()]}
		for _, o := range a.owners {
			if o == acc.GetUserId() {
				b.OwnsApp = true
			}
		}
		if r := b.Reason(); r != "" {
			it.Status, it.BlockedReason = domain.Blocked, r
		}
		items = append(items, it)
	}
	return items, nil
}
