package app

import (
	"context"
	"fmt"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/errs"
)

// checkPeople asks identity whether every id is an existing, active user, and refuses the
// call (INVALID_ARGUMENT naming field) when one is not. Identity being down is UNAVAILABLE.
func (s *Service) checkPeople(ctx context.Context, field string, ids []string) error {
	if s.identity == nil {
		return errs.Unavailable("identity is not configured: cannot check assignees")
	}
	res, err := s.identity.GetFacts(ctx, &identityv1.GetFactsRequest{UserIds: ids})
	if err != nil {
		return err
	}
	for _, id := range ids {
		u, ok := res.GetUsers()[id]
		switch {
		case !ok:
			return errs.Invalid(field, fmt.Sprintf("no user %q", id))
		case u.GetStatus() != identityv1.User_ACTIVE:
			return errs.Invalid(field, fmt.Sprintf("user %q is offboarded", id))
		}
	}
	return nil
}
