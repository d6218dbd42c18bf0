package app

import (
	"context"
	"errors"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// SeedSystemDefaults creates the shipped policies that do not exist yet, as the system,
// each with version 1 active, through the outbox like any change. Replicas starting
// together take turns (LockPolicies), so each default is created once; later starts find
// them and change nothing, whatever versions administrators have added since.
func (s *Service) SeedSystemDefaults(ctx context.Context) error {
	ctx = auth.WithPrincipal(ctx, auth.System())
	seeded := false
	err := s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		seeded = false // the closure may run again
		for _, d := range domain.SystemDefaults() {
			_, err := tx.GetPolicy(ctx, d.ID)
			if err == nil {
				continue
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err := s.seed(ctx, tx, d); err != nil {
				return err
			}
			seeded = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	if seeded {
		s.log.InfoContext(ctx, "policy: seeded the system default policies")
	}
	return s.resolver.Refresh(ctx)
}

func (s *Service) seed(ctx context.Context, tx store.Tx, d domain.SystemDefault) error {
	now := s.now()
	p := domain.Policy{ID: d.ID, Name: d.Name, RequestType: d.RequestType, Level: domain.LevelSystemDefault,
		ActiveVersion: 1, LatestVersion: 1, CreateTime: now, UpdateTime: now, CreateBy: auth.SystemUserID}
	v := domain.Version{PolicyID: d.ID, Version: 1, State: domain.StateDraft, Workflow: domain.Normalize(d.Workflow),
		CreateTime: now, UpdateTime: now, CreateBy: auth.SystemUserID, Revision: 1}
	if err := tx.CreatePolicy(ctx, p); err != nil {
		return err
	}
	if err := tx.CreateVersion(ctx, v); err != nil {
		return err
	}
	if err := tx.ActivateVersion(ctx, d.ID, 1, now); err != nil {
		return err
	}
	if _, err := tx.BumpGeneration(ctx, d.ID); err != nil {
		return err
	}
	if err := s.emit(ctx, tx, ActionPolicyCreated, d.ID, 1, policyData(p)); err != nil {
		return err
	}
	if err := s.emit(ctx, tx, ActionVersionCreated, d.ID, 1, versionData(d.ID, 1, domain.StateDraft, &v.Workflow)); err != nil {
		return err
	}
	return s.emit(ctx, tx, ActionVersionActivated, d.ID, 1, versionData(d.ID, 1, domain.StateActive, &v.Workflow))
}
