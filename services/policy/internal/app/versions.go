package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// notDraft is FAILED_PRECONDITION for a change of an active or retired version.
func notDraft(v domain.Version, what string) error {
	return errs.FailedPrecondition("VERSION_NOT_DRAFT", fmt.Sprintf(
		"cannot %s version %d of policy %s: it is %s, and active and retired versions never change (requests keep pointing at them); create a new version instead",
		what, v.Version, v.PolicyID, v.State)).With("state", string(v.State))
}

// immutable maps the store's own refusal (a race past the checks above it) like notDraft.
func immutable(err error, v domain.Version, what string) error {
	if errors.Is(err, store.ErrImmutable) {
		return notDraft(v, what)
	}
	return err
}

// validateFor checks a workflow for a policy: the pure rules, then identity.
func (s *Service) validateFor(ctx context.Context, p domain.Policy, w domain.Workflow) (domain.Workflow, error) {
	wf := domain.Normalize(w)
	if err := invalid(domain.ValidateWorkflow(wf), domain.ValidateFor(p.RequestType, wf)); err != nil {
		return wf, err
	}
	return wf, s.checkReferences(ctx, p.Scope, wf)
}

// CreateVersion adds a draft version with the next number (Admin, GM).
func (s *Service) CreateVersion(ctx context.Context, policyID string, w domain.Workflow) (domain.Version, error) {
	actor, err := s.manager(ctx)
	if err != nil {
		return domain.Version{}, err
	}
	p, err := s.store.GetPolicy(ctx, policyID)
	if err != nil {
		return domain.Version{}, appkit.NotFound(err, "policy", policyID)
	}
	wf, err := s.validateFor(ctx, p, w)
	if err != nil {
		return domain.Version{}, err
	}
	var out domain.Version
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPolicy(ctx, policyID)
		if err != nil {
			return appkit.NotFound(err, "policy", policyID)
		}
		now := s.now()
		v := domain.Version{PolicyID: p.ID, Version: p.LatestVersion + 1, State: domain.StateDraft, Workflow: wf,
			CreateTime: now, UpdateTime: now, CreateBy: actor, Revision: 1}
		if err := tx.CreateVersion(ctx, v); err != nil {
			return err
		}
		p.LatestVersion, p.UpdateTime = v.Version, now
		if err := tx.UpdatePolicy(ctx, p); err != nil {
			return err
		}
		out = v
		return s.emit(ctx, tx, ActionVersionCreated, p.ID, v.Version, versionData(p.ID, v.Version, v.State, &v.Workflow))
	})
	return out, err
}

// GetVersion: anyone authenticated.
func (s *Service) GetVersion(ctx context.Context, policyID string, n int64) (domain.Version, error) {
	if _, _, err := auth.Caller(ctx); err != nil {
		return domain.Version{}, err
	}
	v, err := s.store.GetVersion(ctx, policyID, n)
	return v, appkit.NotFound(err, "policy version", versionName(policyID, n))
}

// ListVersions: anyone authenticated; ordered by number. NOT_FOUND for a missing policy.
func (s *Service) ListVersions(ctx context.Context, policyID string, size int32, token string) ([]domain.Version, string, error) {
	if _, _, err := auth.Caller(ctx); err != nil {
		return nil, "", err
	}
	after, err := paging.DecodeInt("versions:"+policyID, token)
	if err != nil {
		return nil, "", err
	}
	if _, err := s.store.GetPolicy(ctx, policyID); err != nil {
		return nil, "", appkit.NotFound(err, "policy", policyID)
	}
	n, err := paging.Size(size)
	if err != nil {
		return nil, "", err
	}
	vs, err := s.store.ListVersions(ctx, policyID, store.VersionPage{Size: n + 1, After: after})
	if err != nil {
		return nil, "", err
	}
	vs, next := paging.Trim(vs, n, "versions:"+policyID, func(v domain.Version) []string { return []string{strconv.FormatInt(v.Version, 10)} })
	return vs, next, nil
}

// UpdateVersion replaces a draft's workflow (Admin, GM). etag, if set, must be the
// draft's current one (else ABORTED). An active or retired version: FAILED_PRECONDITION.
func (s *Service) UpdateVersion(ctx context.Context, policyID string, n int64, w domain.Workflow, ifMatch string) (domain.Version, error) {
	if _, err := s.manager(ctx); err != nil {
		return domain.Version{}, err
	}
	p, err := s.store.GetPolicy(ctx, policyID)
	if err != nil {
		return domain.Version{}, appkit.NotFound(err, "policy", policyID)
	}
	// The state is checked before the workflow: no point validating an edit that can never
	// be made. It is checked again in the transaction.
	cur, err := s.store.GetVersion(ctx, policyID, n)
	if err != nil {
		return domain.Version{}, appkit.NotFound(err, "policy version", versionName(policyID, n))
	}
	if !cur.Editable() {
		return domain.Version{}, notDraft(cur, "edit")
	}
	wf, err := s.validateFor(ctx, p, w)
	if err != nil {
		return domain.Version{}, err
	}
	var out domain.Version
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		v, err := tx.GetVersion(ctx, policyID, n)
		if err != nil {
			return appkit.NotFound(err, "policy version", versionName(policyID, n))
		}
		if !v.Editable() {
			return notDraft(v, "edit")
		}
		if err := etag.Check(ifMatch, v.Revision, "the draft"); err != nil {
			return err
		}
		now := s.now()
		v.Workflow, v.UpdateTime, v.Revision = wf, now, v.Revision+1
		if err := tx.UpdateVersion(ctx, v); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return errs.Aborted("STALE_ETAG", "the draft changed concurrently; read it again")
			}
			return immutable(err, v, "edit")
		}
		p, err := tx.GetPolicy(ctx, policyID)
		if err != nil {
			return err
		}
		p.UpdateTime = now
		if err := tx.UpdatePolicy(ctx, p); err != nil {
			return err
		}
		out = v
		return s.emit(ctx, tx, ActionVersionUpdated, policyID, n, versionData(policyID, n, v.State, &v.Workflow))
	})
	return out, err
}

// DeleteVersion deletes a draft (Admin, GM). Its number is not given again.
func (s *Service) DeleteVersion(ctx context.Context, policyID string, n int64) error {
	if _, err := s.manager(ctx); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		v, err := tx.GetVersion(ctx, policyID, n)
		if err != nil {
			return appkit.NotFound(err, "policy version", versionName(policyID, n))
		}
		if !v.Editable() {
			return notDraft(v, "delete")
		}
		if err := tx.DeleteVersion(ctx, policyID, n); err != nil {
			return immutable(err, v, "delete")
		}
		p, err := tx.GetPolicy(ctx, policyID)
		if err != nil {
			return err
		}
		p.UpdateTime = s.now()
		if err := tx.UpdatePolicy(ctx, p); err != nil {
			return err
		}
		return s.emit(ctx, tx, ActionVersionDeleted, policyID, n, versionData(policyID, n, v.State, nil))
	})
}

// ActivateVersion makes a draft the policy's active version and retires the one active
// before, in one transaction (Admin, GM). The draft's references are checked with identity
// again: a group or user may have gone since it was written.
func (s *Service) ActivateVersion(ctx context.Context, policyID string, n int64) (domain.Version, error) {
	if _, err := s.manager(ctx); err != nil {
		return domain.Version{}, err
	}
	p, err := s.store.GetPolicy(ctx, policyID)
	if err != nil {
		return domain.Version{}, appkit.NotFound(err, "policy", policyID)
	}
	cur, err := s.store.GetVersion(ctx, policyID, n)
	if err != nil {
		return domain.Version{}, appkit.NotFound(err, "policy version", versionName(policyID, n))
	}
	if err := activatable(cur); err != nil {
		return domain.Version{}, err
	}
	if err := s.checkReferences(ctx, p.Scope, cur.Workflow); err != nil {
		return domain.Version{}, err
	}
	var out domain.Version
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		p, err := tx.GetPolicy(ctx, policyID)
		if err != nil {
			return appkit.NotFound(err, "policy", policyID)
		}
		v, err := tx.GetVersion(ctx, policyID, n)
		if err != nil {
			return appkit.NotFound(err, "policy version", versionName(policyID, n))
		}
		if err := activatable(v); err != nil {
			return err
		}
		if err := s.checkOverlap(ctx, tx, p, true); err != nil {
			return err
		}
		now := s.now()
		prev := p.ActiveVersion
		if prev != 0 {
			if err := tx.RetireVersion(ctx, policyID, prev, now); err != nil {
				return err
			}
			retired := versionData(policyID, prev, domain.StateRetired, nil)
			retired.NextVersion = n
			if err := s.emit(ctx, tx, ActionVersionRetired, policyID, prev, retired); err != nil {
				return err
			}
		}
		if err := tx.ActivateVersion(ctx, policyID, n, now); err != nil {
			return immutable(err, v, "activate")
		}
		p.ActiveVersion, p.UpdateTime = n, now
		if err := tx.UpdatePolicy(ctx, p); err != nil {
			return err
		}
		if _, err := tx.BumpGeneration(ctx, policyID); err != nil {
			return err
		}
		v.State, v.ActivateTime = domain.StateActive, now
		out = v
		activated := versionData(policyID, n, v.State, &v.Workflow)
		activated.PreviousVersion = prev
		return s.emit(ctx, tx, ActionVersionActivated, policyID, n, activated)
	})
	if err != nil {
		return domain.Version{}, err
	}
	// This process resolves with the new version at once (the next resolution anywhere
	// would find the new generation anyway; this only spares it the reload).
	if err := s.resolver.Refresh(ctx); err != nil {
		s.log.WarnContext(ctx, "policy index refresh after activation failed; the next resolution retries", "error", err.Error())
	}
	return out, nil
}

func activatable(v domain.Version) error {
	switch v.State {
	case domain.StateActive:
		return errs.FailedPrecondition("VERSION_ALREADY_ACTIVE", fmt.Sprintf("version %d of policy %s is already active", v.Version, v.PolicyID))
	case domain.StateRetired:
		return errs.FailedPrecondition("VERSION_RETIRED", fmt.Sprintf(
			"version %d of policy %s is retired, and retired versions never return: create a new version with its workflow and activate that", v.Version, v.PolicyID))
	}
	return nil
}
