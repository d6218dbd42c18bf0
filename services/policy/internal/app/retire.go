package app

import (
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"

	"context"
	"fmt"
)

// ActionPolicyRetired is the event of a retired policy (its active version's own
// policy.version.retired comes with it).
const ActionPolicyRetired = "policy.retired"

// RetirePolicy retires a policy (Admin, GM): its active version retires, in one
// transaction with the policy, so the next broader level governs new requests. Requests
// already pinned to the version keep it. A system default cannot be retired (every
// request type keeps one policy to fall back on), nor a policy with no active version:
// FAILED_PRECONDITION.
func (s *Service) RetirePolicy(ctx context.Context, policyID string) (domain.Policy, error) {
	if _, err := s.manager(ctx); err != nil {
		return domain.Policy{}, err
	}
	var out domain.Policy
	err := s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPolicy(ctx, policyID)
		if err != nil {
			return appkit.NotFound(err, "policy", policyID)
		}
		if p.Level == domain.LevelSystemDefault {
			return errs.FailedPrecondition("SYSTEM_DEFAULT", fmt.Sprintf(
				"policy %s is the system default for %s and cannot be retired: edit it by activating a new version", p.ID, p.RequestType))
		}
		if p.ActiveVersion == 0 {
			return errs.FailedPrecondition("NOT_ACTIVE", fmt.Sprintf("policy %s has no active version to retire", p.ID))
		}
		now := s.now()
		prev := p.ActiveVersion
		if err := tx.RetireVersion(ctx, policyID, prev, now); err != nil {
			return err
		}
		p.ActiveVersion, p.UpdateTime = 0, now
		if err := tx.UpdatePolicy(ctx, p); err != nil {
			return err
		}
		if _, err := tx.BumpGeneration(ctx, policyID); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, ActionVersionRetired, policyID, prev, versionData(policyID, prev, domain.StateRetired, nil)); err != nil {
			return err
		}
		out = p
		return s.emit(ctx, tx, ActionPolicyRetired, policyID, prev, retiredData(p, prev))
	})
	if err != nil {
		return domain.Policy{}, err
	}
	if err := s.resolver.Refresh(ctx); err != nil {
		s.log.WarnContext(ctx, "policy index refresh after retirement failed; the next resolution retries", "error", err.Error())
	}
	return out, nil
}

// retiredData is the payload of policy.retired: the policy and the version it retired.
func retiredData(p domain.Policy, retired int64) *eventsv1.PolicyChanged {
	out := policyData(p)
	out.RetiredVersion = retired
	return out
}
