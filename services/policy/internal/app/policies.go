package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
)

// NewPolicy is the input of CreatePolicy.
type NewPolicy struct {
	Name        string
	RequestType domain.RequestType
	Scope       domain.Scope
	Workflow    domain.Workflow
}

// CreatePolicy creates a policy with draft version 1 (Admin, GM).
func (s *Service) CreatePolicy(ctx context.Context, in NewPolicy) (domain.Policy, error) {
	actor, err := s.manager(ctx)
	if err != nil {
		return domain.Policy{}, err
	}
	name := strings.TrimSpace(in.Name)
	var vs []domain.Violation
	switch {
	case name == "":
		vs = append(vs, domain.Violation{Field: "name", Description: "required"})
	case utf8.RuneCountInString(name) > 200:
		vs = append(vs, domain.Violation{Field: "name", Description: "at most 200 characters"})
	}
	if !in.RequestType.Valid() {
		vs = append(vs, domain.Violation{Field: "request_type", Description: fmt.Sprintf("must be one of %v", domain.RequestTypes)})
	}
	wf := domain.Normalize(in.Workflow)
	if err := invalid(vs, domain.ValidateScope(in.RequestType, in.Scope), domain.ValidateWorkflow(wf), domain.ValidateFor(in.RequestType, wf)); err != nil {
		return domain.Policy{}, err
	}
	if err := s.checkReferences(ctx, in.Scope, wf); err != nil {
		return domain.Policy{}, err
	}
	now := s.now()
	p := domain.Policy{
		ID: newID(), Name: name, RequestType: in.RequestType, Scope: in.Scope, Level: in.Scope.Level(),
		LatestVersion: 1, CreateTime: now, UpdateTime: now, CreateBy: actor,
	}
	v := domain.Version{PolicyID: p.ID, Version: 1, State: domain.StateDraft, Workflow: wf, CreateTime: now, UpdateTime: now, CreateBy: actor, Revision: 1}
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := s.checkOverlap(ctx, tx, p, false); err != nil {
			return err
		}
		if err := tx.CreatePolicy(ctx, p); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return scopeTaken(p, nil) // a claim the check above could not see
			}
			return err
		}
		if err := tx.CreateVersion(ctx, v); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, ActionPolicyCreated, p.ID, 1, policyData(p)); err != nil {
			return err
		}
		return s.emit(ctx, tx, ActionVersionCreated, p.ID, 1, versionData(p.ID, 1, v.State, &v.Workflow))
	})
	if err != nil {
		return domain.Policy{}, err
	}
	return p, nil
}

// checkOverlap refuses a policy whose scope another policy of its request type already
// covers at the same level: resolution would have two answers. At creation every policy
// counts (an unactivated one may be activated later); at activation only active ones.
func (s *Service) checkOverlap(ctx context.Context, tx store.Tx, p domain.Policy, activeOnly bool) error {
	others, err := tx.OverlappingPolicies(ctx, p.RequestType, p.Level, p.Scope)
	if err != nil {
		return err
	}
	var in []domain.Policy
	for _, o := range others {
		if o.ID != p.ID && (!activeOnly || o.ActiveVersion > 0) {
			in = append(in, o)
		}
	}
	if len(in) == 0 {
		return nil
	}
	return scopeTaken(p, in)
}

// scopeTaken is FAILED_PRECONDITION naming the scope field and the policy in the way.
func scopeTaken(p domain.Policy, others []domain.Policy) error {
	field, what := "scope", "the global "+string(p.RequestType)+" policy"
	switch p.Level {
	case domain.LevelApp:
		field, what = "scope.app_id", fmt.Sprintf("the %s policy of app %s", p.RequestType, p.Scope.AppID)
	case domain.LevelPermission:
		field, what = "scope.permissions", fmt.Sprintf("a %s policy of app %s for these permissions", p.RequestType, p.Scope.AppID)
	}
	desc := "another policy is already " + what + "; two policies at one level would make resolution ambiguous: add a version to that policy instead"
	e := &errs.Error{Kind: errs.KindFailedPrecondition, Reason: "SCOPE_OVERLAP"}
	if len(others) > 0 {
		o := others[0]
		desc = fmt.Sprintf("policy %s (%q) is already %s", o.ID, o.Name, what)
		if p.Level == domain.LevelPermission {
			desc += fmt.Sprintf(" (both list %q)", domain.Shared(p.Scope.Permissions, o.Scope.Permissions))
		}
		desc += "; two policies at one level would make resolution ambiguous: add a version to that policy instead"
		e = e.With("conflictingPolicyId", o.ID)
	}
	e.Message = "scope overlaps another policy: " + desc
	e.Fields = []errs.FieldViolation{{Field: field, Description: desc}}
	return e
}

// GetPolicy: anyone authenticated.
func (s *Service) GetPolicy(ctx context.Context, id string) (domain.Policy, error) {
	if _, _, err := auth.Caller(ctx); err != nil {
		return domain.Policy{}, err
	}
	p, err := s.store.GetPolicy(ctx, id)
	return p, appkit.NotFound(err, "policy", id)
}

// ListPolicies: anyone authenticated; ordered by id.
func (s *Service) ListPolicies(ctx context.Context, f store.PolicyFilter, size int32, token string) ([]domain.Policy, string, error) {
	if _, _, err := auth.Caller(ctx); err != nil {
		return nil, "", err
	}
	if f.RequestType != "" && !f.RequestType.Valid() {
		return nil, "", errs.Invalid("request_type", fmt.Sprintf("must be one of %v", domain.RequestTypes))
	}
	list := "policies:" + string(f.RequestType) + ":" + f.AppID
	return paging.List(list, token, 1, size, func(after []string, n int) ([]domain.Policy, error) {
		return s.store.ListPolicies(ctx, f, store.Page{Size: n, After: after[0]})
	}, func(p domain.Policy) []string { return []string{p.ID} })
}
