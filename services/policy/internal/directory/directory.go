package directory

import (
	"context"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/policy/internal/app"
)

// batch is the most ids of one kind GetFacts takes per call.
const batch = 500

// Identity answers app.Directory through identity's GetFacts.
type Identity struct {
	Client identityv1.IdentityInternalServiceClient
}

var _ app.Directory = Identity{}

// Facts asks identity about q's ids, batch by batch, in as few calls as the limits allow.
func (d Identity) Facts(ctx context.Context, q app.FactsQuery) (app.Facts, error) {
	f := app.Facts{Users: map[string]app.UserFacts{}, Apps: map[string]app.AppFacts{}, Groups: map[string]bool{}}
	users, apps, groups := q.UserIDs, q.AppIDs, q.GroupIDs
	for len(users) > 0 || len(apps) > 0 || len(groups) > 0 {
		req := &identityv1.GetFactsRequest{UserIds: take(&users), AppIds: take(&apps), GroupIds: take(&groups)}
		res, err := d.Client.GetFacts(ctx, req)
		if err != nil {
			return f, unavailable(err)
		}
		for id, u := range res.GetUsers() {
			f.Users[id] = app.UserFacts{Active: u.GetStatus() == identityv1.User_ACTIVE}
		}
		for id, a := range res.GetApps() {
			af := app.AppFacts{Archived: a.GetStatus() == identityv1.App_ARCHIVED, CustomRoles: a.GetCustomRoleNames()}
			for _, p := range a.GetPermissions() {
				af.Permissions = append(af.Permissions, p.GetName())
			}
			f.Apps[id] = af
		}
		for _, id := range res.GetExistingGroupIds() {
			f.Groups[id] = true
		}
	}
	return f, nil
}

func take(ids *[]string) []string {
	n := min(batch, len(*ids))
	out := (*ids)[:n]
	*ids = (*ids)[n:]
	return out
}

// unavailable keeps identity's typed errors (they survive the hop) and names the
// dependency when identity cannot answer at all.
func unavailable(err error) error {
	de := errs.FromStatus(err)
	if errs.KindOf(de) == errs.KindInternal || errs.Is(de, errs.KindUnavailable) {
		return errs.Unavailable("identity did not answer; the policy's apps, groups and users cannot be checked now, try again").Wrap(err)
	}
	return de
}
