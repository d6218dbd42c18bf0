package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// resolveStep resolves a step's assignee spec for r, as API.md reads it for each request
// type: a request with no target user (ADD_APP, ARCHIVE_APP) has its MANAGER steps go to
// the requester's manager, and ADD_APP (no app yet) its APP_OWNER steps to the proposed
// owners. The requester and target never review or carry out their own request.
// pre is a resolution made ahead (the first step's, with the facts of the submit; nil: none):
// resolveStep uses it when it answers the same spec, else asks identity.
func (s *Service) resolveStep(ctx context.Context, r domain.Request, a *typev1.Assignee, pre *resolved) (*identityv1.ResolveAssigneesResponse, error) {
	in, proposedOwners := stepResolution(r, a)
	var res *identityv1.ResolveAssigneesResponse
	if pre != nil && pre.result != nil && proto.Equal(pre.spec, in) {
		res = proto.CloneOf(pre.result)
	} else {
		var err error
		if res, err = s.identity.ResolveAssignees(ctx, in); err != nil {
			return nil, err
		}
	}
	if !proposedOwners {
		return res, nil
	}
	what := fmt.Sprintf("the proposed owners of %s", r.NewApp.Name)
	res.Explanation = strings.Replace(res.GetExplanation(), "the listed users", what, 1)
	return res, nil
}

// stepResolution is the ResolveAssignees call that resolves a step's assignee spec a for r
// (see resolveStep), and whether it stands for an ADD_APP request's proposed owners.
func stepResolution(r domain.Request, a *typev1.Assignee) (in *identityv1.ResolveAssigneesRequest, proposedOwners bool) {
	in = &identityv1.ResolveAssigneesRequest{Assignee: a, TargetUserId: r.TargetUserID, AppId: r.AppID, ExcludeUserIds: exclude(r)}
	switch a.GetKind() {
	case typev1.AssigneeKind_MANAGER:
		if r.TargetUserID == "" {
			in.TargetUserId = r.RequesterID
		}
	case typev1.AssigneeKind_APP_OWNER:
		if r.Type == domain.AddApp && r.NewApp != nil {
			in.Assignee = &typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: r.NewApp.OwnerIDs}
			proposedOwners = true
		}
	}
	return in, proposedOwners
}

// resolved is a step's resolution made ahead of its opening, in the same moment (submit
// resolves the first step with its GetFacts call): the spec asked and identity's answer (nil:
// it did not resolve; the opening asks ResolveAssignees, whose error says why).
type resolved struct {
	spec   *identityv1.ResolveAssigneesRequest
	result *identityv1.ResolveAssigneesResponse
}

// firstStepResolution is what submit asks GetFacts to resolve for r, a request about to be
// created with its first step's opening: that step's spec, as stepSpec will ask it (nil when
// the request opens no step now).
func firstStepResolution(r domain.Request) *identityv1.ResolveAssigneesRequest {
	if r.Next() != domain.MoveOpenStep {
		return nil
	}
	step, _ := r.CurrentStep()
	in, _ := stepResolution(r, pbconv.AssigneePB(step.Assignee))
	return in
}

// cancelAppRequests cancels, with the reason, every open request on the app that the
// ARCHIVE_APP request r archived (r itself aside). It may run again: a closed request is
// left as it is.
func (s *Service) cancelAppRequests(ctx context.Context, r domain.Request) error {
	open, err := s.store.ListRequests(ctx, store.Filter{Status: domain.InProgress, AppID: r.AppID}, store.Page{})
	if err != nil {
		return err
	}
	reason := fmt.Sprintf("the app %s was archived by request %s", r.AppID, r.ID)
	for _, o := range open {
		if o.ID == r.ID {
			continue
		}
		if err := s.close(ctx, o.ID, domain.Cancelled, reason, "request.cancelled"); err != nil {
			return err
		}
	}
	return nil
}

// retireAppPolicies retires every app- and permission-level policy of the app that the
// ARCHIVE_APP request r archived, so nothing of the archived app governs any more (API.md:
// "its app and permission policies are retired"). It may run again: a policy with no
// active version is left as it is, and one retired meanwhile by someone else is too.
func (s *Service) retireAppPolicies(ctx context.Context, r domain.Request) error {
	var ids []string
	for token := ""; ; {
		res, err := s.policy.ListPolicies(ctx, &policyv1.ListPoliciesRequest{AppId: r.AppID, PageSize: 500, PageToken: token})
		if err != nil {
			return err
		}
		for _, p := range res.GetPolicies() {
			if p.GetScope().GetAppId() == r.AppID && p.GetActiveVersion() != 0 {
				ids = append(ids, p.GetId())
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	for _, id := range ids {
		if _, err := s.policy.RetirePolicy(ctx, &policyv1.RetirePolicyRequest{Id: id}); err != nil && errs.KindOf(err) != errs.KindFailedPrecondition {
			return err
		}
	}
	return nil
}

// dueAndEscalation sets the step's due time and resolves its escalation target now, for r,
// with the same exclusions as the step's own people (maker-checker): the requester and the
// target user, and those they delegated to, never join.
func (s *Service) dueAndEscalation(ctx context.Context, r domain.Request, step domain.Step, in *taskv1.OpenStepRequest) error {
	in.DueAfter = durationpb.New(step.DueAfter)
	e := step.Escalation
	if e == nil || e.After <= 0 {
		return nil
	}
	var specs []*identityv1.ResolveAssigneesRequest
	switch e.To {
	case typev1.Escalation_ADMINS.String():
		specs = append(specs, &identityv1.ResolveAssigneesRequest{Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_ADMINS}})
	case typev1.Escalation_USERS.String():
		specs = append(specs, &identityv1.ResolveAssigneesRequest{Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_USERS, UserIds: e.UserIDs}})
	case typev1.Escalation_MANAGER_OF_ASSIGNEE.String():
		for _, a := range in.GetAssigneeIds() {
			specs = append(specs, &identityv1.ResolveAssigneesRequest{Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_MANAGER}, TargetUserId: a})
		}
	}
	var people, notes []string
	for _, spec := range specs {
		spec.AppId, spec.ExcludeUserIds = r.AppID, exclude(r)
		res, err := s.identity.ResolveAssignees(ctx, spec)
		if err != nil {
			return err
		}
		for _, id := range res.GetUserIds() {
			if !slices.Contains(people, id) && !slices.Contains(in.GetAssigneeIds(), id) {
				people = append(people, id)
			}
		}
		if ex := res.GetExplanation(); ex != "" && !slices.Contains(notes, ex) {
			notes = append(notes, ex)
		}
	}
	if len(people) == 0 {
		return nil // everyone the escalation names is an assignee already
	}
	in.EscalateAfter, in.EscalationUserIds = durationpb.New(e.After), people
	in.EscalationNote = "escalation to " + e.To
	if len(notes) > 0 {
		in.EscalationNote += " (" + strings.Join(notes, "; ") + ")"
	}
	if len(in.EscalationNote) > 1000 {
		in.EscalationNote = in.EscalationNote[:1000]
	}
	return nil
}
