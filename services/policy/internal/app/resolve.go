package app

import (
	"context"
	"fmt"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
)

// Resolve finds the active policy version that governs a request of rt on appID and
// permission, and why (anyone authenticated). It asks no other service: an app identity
// does not know simply has no policies of its own and falls through to GLOBAL or
// SYSTEM_DEFAULT; the request service checks the app before it asks.
func (s *Service) Resolve(ctx context.Context, rt domain.RequestType, appID, permission string) (domain.Match, error) {
	if _, _, err := auth.Caller(ctx); err != nil {
		return domain.Match{}, err
	}
	if !rt.Valid() {
		return domain.Match{}, errs.Invalid("request_type", fmt.Sprintf("must be one of %v", domain.RequestTypes))
	}
	if permission != "" && appID == "" {
		return domain.Match{}, errs.Invalid("app_id", "required with permission: a permission belongs to an app")
	}
	m, err := s.resolver.Resolve(ctx, rt, appID, permission)
	if err != nil {
		return m, errs.Unavailable("policies cannot be resolved now; try again").Wrap(err)
	}
	return m, nil
}
