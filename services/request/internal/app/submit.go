package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/pkg/workflow"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// Submission is what a submit asks for.
type Submission struct {
	// ClientID is the optional client-chosen id (AIP-155).
	ClientID     string
	Type         domain.Type
	TargetUserID string
	AppID        string
	Permission   string
	NewApp       *domain.NewApp
	Reason       string
	// Origin: set by the review service for the request of a review's decision.
	Origin Origin
	// AccessDuration (GRANT_ACCESS, CHANGE_PERMISSION; 0: no end): how long the access lasts.
	AccessDuration time.Duration
	// expiry: the request service opens this REMOVE_ACCESS itself, at the access's expiry.
	expiry bool
}

// Origin is the access review item whose decision a request carries out.
type Origin struct{ AccessReviewID, ItemID string }

// FromReview reports whether a review's decision opened the request.
func (o Origin) FromReview() bool { return o.AccessReviewID != "" }

// Submit validates a submission, pins the policy version that governs it, stores the
// request and opens its first step. A retry with the same client id returns the first
// request; the same client id with another body is ALREADY_EXISTS.
func (s *Service) Submit(ctx context.Context, in Submission) (domain.Request, error) {
	p, sub, err := auth.Caller(ctx)
	if err != nil {
		return domain.Request{}, err
	}
	subject := &sub
	if in.Origin != (Origin{}) {
		// A reviewer may decide an item they may not otherwise ask about (USERS reviewers,
		// owners removing access): the item's reviewers, Admin and GM decide it, so the
		// matrix of submitting for others gives way to the item, checked with the review
		// service.
		if err := s.checkOrigin(ctx, p.UserID, sub, in); err != nil {
			return domain.Request{}, err
		}
		subject = nil
	}
	r, open, err := s.submit(ctx, p.UserID, subject, in)
	if err != nil {
		return domain.Request{}, err
	}
	return s.settle(ctx, r, open)
}

// submitted is a request submit created, with the opening of its first step that it
// recorded (nil: none).
type submitted struct {
	r    domain.Request
	open *taskv1.OpenStepRequest
}

// settle asks the task service for the tasks of the step whose opening submit recorded
// (open; nil: none), drives the request as far as it goes without waiting for anyone, and
// returns it.
func (s *Service) settle(ctx context.Context, r domain.Request, open *taskv1.OpenStepRequest) (domain.Request, error) {
	var (
		out    domain.Request
		err    error
		behind bool
	)
	defer func() {
		if !behind { // else the retraction's commit wakes the relays
			s.notify()
		}
	}()
	next := &r
	if open != nil {
		// The work item's retraction is committed after the answer: one commit less while
		// the submitter waits.
		next, behind, err = s.openTasksThen(ctx, open, r, true)
	}
	if err == nil {
		out, err = s.drive(ctx, r.ID, next, true)
	}
	if err == nil && out.ID != "" {
		return out, nil
	}
	if err != nil {
		// The work queue finishes what failed here (a service down): the request stands.
		s.log.WarnContext(ctx, "request: advance deferred to the work queue", "request", r.ID, "error", err.Error())
	}
	got, err := s.store.GetRequest(ctx, r.ID)
	return got, appkit.NotFound(err, "request", r.ID)
}

// submit creates the request, with the opening of its first step when its assignees
// resolve (returned: settle asks the task service for the tasks), else with a work item that
// opens it. sub is the caller's subject for the permissions matrix; nil means a trigger of
// the system (offboarding), which the matrix does not restrict.
func (s *Service) submit(ctx context.Context, requesterID string, sub *authz.Subject, in Submission) (domain.Request, *taskv1.OpenStepRequest, error) {
	if in.Type.AboutUser() && in.TargetUserID == "" {
		in.TargetUserID = requesterID
	}
	body := domain.Body{Type: in.Type, RequesterID: requesterID, TargetUserID: in.TargetUserID, AppID: in.AppID,
		Permission: in.Permission, NewApp: in.NewApp, Reason: in.Reason, AccessDuration: in.AccessDuration}
	hash := body.Hash()
	if in.ClientID != "" {
		if prev, err := s.store.GetRequestByClientID(ctx, in.ClientID); err == nil {
			r, err := sameBody(prev, hash)
			return r, nil, err
		} else if !errors.Is(err, store.ErrNotFound) {
			return domain.Request{}, nil, err
		}
	}
	if err := shape(in); err != nil {
		return domain.Request{}, nil, err
	}

	// The policy version that governs the request, pinned now (before the facts: the facts
	// call also resolves the first step's assignees, which the workflow names).
	pol, err := s.policy.ResolvePolicy(ctx, &policyv1.ResolvePolicyRequest{
		RequestType: typev1.RequestType(typev1.RequestType_value[string(in.Type)]), AppId: in.AppID, Permission: in.Permission,
	})
	if err != nil {
		return domain.Request{}, nil, fmt.Errorf("resolve the policy: %w", err)
	}
	r := domain.Request{
		ID: newID(), ClientID: in.ClientID, BodyHash: hash, Type: in.Type, RequesterID: requesterID,
		TargetUserID: in.TargetUserID, AppID: in.AppID, Permission: in.Permission, NewApp: in.NewApp, Reason: in.Reason,
		AccessDuration: in.AccessDuration, OriginExpiry: in.expiry,
	}
	r.PolicyID, r.PolicyVersion, r.PolicyLevel = pol.GetPolicyId(), pol.GetVersion(), pol.GetLevel().String()
	r.Workflow = workflowFromPB(pol.GetWorkflow())
	if in.Origin.FromReview() || in.expiry {
		// The review already happened, or the access expired: only the governing policy's
		// action step runs.
		r.Workflow.ReviewSteps = []domain.Step{}
	}
	r.Status, r.Stage = domain.InProgress, domain.StageReview
	if len(r.Workflow.ReviewSteps) == 0 {
		r.Stage = domain.StageAction
	}

	// The facts: requester, target, the app (by id, or by name for ADD_APP), owners; and the
	// first step's assignees, resolved in the same call (the step opens now: the moment its
	// assignees are resolved at, as every step's are when it opens).
	userIDs := []string{requesterID}
	if in.TargetUserID != "" && in.TargetUserID != requesterID {
		userIDs = append(userIDs, in.TargetUserID)
	}
	factsReq := &identityv1.GetFactsRequest{UserIds: userIDs, IncludeAccesses: in.Type.AboutUser()}
	if in.AppID != "" {
		factsReq.AppIds = []string{in.AppID}
	}
	if in.NewApp != nil {
		factsReq.AppNames = []string{in.NewApp.Name}
		for _, o := range in.NewApp.OwnerIDs {
			if !slices.Contains(factsReq.UserIds, o) {
				factsReq.UserIds = append(factsReq.UserIds, o)
			}
		}
	}
	var pre *resolved
	if spec := firstStepResolution(r); spec != nil {
		factsReq.Resolve = []*identityv1.ResolveAssigneesRequest{spec}
		pre = &resolved{spec: spec}
	}
	facts, err := s.identity.GetFacts(ctx, factsReq)
	if err != nil {
		return domain.Request{}, nil, err
	}
	if pre != nil && len(facts.GetResolutions()) == 1 {
		pre.result = facts.GetResolutions()[0].GetResult()
	}
	if err := s.checkTarget(&r, sub, facts); err != nil {
		return domain.Request{}, nil, err
	}
	if max := r.Workflow.MaxAccessDuration; max > 0 && r.AccessDuration > max {
		return domain.Request{}, nil, errs.Invalid("access_duration", fmt.Sprintf("%s is longer than the %s the governing policy (%s version %d) allows",
			r.AccessDuration, max, r.PolicyID, r.PolicyVersion))
	}
	if req, ok := facts.GetUsers()[requesterID]; ok {
		r.SkipManagerSteps = authz.SkipsManagerApproval(auth.SubjectOf(auth.Principal{UserID: req.GetId(), Role: req.GetRole()})) &&
			req.GetStatus() == identityv1.User_ACTIVE
	}
	r.CreateTime = s.now()
	r.UpdateTime, r.Version = r.CreateTime, 1

	// The first step's opening is recorded with the request when its assignees resolve now;
	// otherwise (a service down, a refusal that fails the request) a work item drives it.
	created := eventData(r)
	var open *taskv1.OpenStepRequest
	var opened *eventsv1.RequestChanged
	if r.Next() == domain.MoveOpenStep {
		spec, refusal, err := s.stepSpec(ctx, r, pre)
		switch {
		case err != nil:
			s.log.WarnContext(ctx, "request: the first step's opening is left to the work queue", "request", r.ID, "error", err.Error())
		case refusal == "":
			open, opened = spec, opening(&r, spec)
			s.takeOff(open) // settle lands it
		}
	}
	err = s.writeQuiet(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, "request.created", r, "", created); err != nil {
			return err
		}
		if open == nil {
			return s.work(ctx, tx, workDrive, r, nil)
		}
		if err := s.emit(ctx, tx, "request.step_opened", r, auth.SystemUserID, opened); err != nil {
			return err
		}
		return s.work(ctx, tx, workOpen, r, &eventsv1.RequestWork{OpenStep: open})
	})
	if errors.Is(err, store.ErrConflict) && in.ClientID != "" {
		// A concurrent submit with the same client id won the race.
		s.land(open, false)
		prev, gerr := s.store.GetRequestByClientID(ctx, in.ClientID)
		if gerr != nil {
			return domain.Request{}, nil, gerr
		}
		r, err := sameBody(prev, hash)
		return r, nil, err
	}
	if err != nil {
		s.land(open, false)
		return domain.Request{}, nil, err
	}
	return r, open, nil
}

func sameBody(prev domain.Request, hash string) (domain.Request, error) {
	if prev.BodyHash != hash {
		// The request it names stays unnamed: it may be someone else's.
		return domain.Request{}, errs.AlreadyExists("REQUEST_ID_REUSED",
			"request_id "+prev.ClientID+" was already used for a different request")
	}
	return prev, nil
}

// shape checks which fields the request type needs, before asking anyone anything.
func shape(in Submission) error {
	var bad []errs.FieldViolation
	need := func(ok bool, field, what string) {
		if !ok {
			bad = append(bad, errs.FieldViolation{Field: field, Description: what})
		}
	}
	if in.AccessDuration < 0 || (in.AccessDuration > 0 && in.Type != domain.GrantAccess && in.Type != domain.ChangePermission) {
		need(false, "access_duration", "a positive duration, for GRANT_ACCESS and CHANGE_PERMISSION only")
	}
	switch in.Type {
	case domain.GrantAccess, domain.ChangePermission:
		need(in.AppID != "", "app_id", "required for "+string(in.Type))
		need(in.Permission != "", "permission", "required for "+string(in.Type))
		need(in.NewApp == nil, "new_app", "only for ADD_APP")
	case domain.RemoveAccess, domain.ArchiveApp:
		need(in.AppID != "", "app_id", "required for "+string(in.Type))
		need(in.NewApp == nil, "new_app", "only for ADD_APP")
		if in.Type == domain.ArchiveApp {
			need(in.Permission == "", "permission", "not used by ARCHIVE_APP")
			need(in.TargetUserID == "", "target_user_id", "not used by ARCHIVE_APP")
		}
	case domain.AddApp:
		need(in.NewApp != nil && in.NewApp.Name != "", "new_app.name", "required for ADD_APP")
		need(in.AppID == "", "app_id", "ADD_APP names the new app in new_app")
		need(in.Permission == "", "permission", "not used by ADD_APP")
		need(in.TargetUserID == "", "target_user_id", "not used by ADD_APP")
		if in.NewApp != nil {
			seen := map[string]bool{}
			for i, p := range in.NewApp.Permissions {
				field := fmt.Sprintf("new_app.permissions[%d].name", i)
				need(p.Name != "", field, "required")
				need(!seen[p.Name], field, "duplicate permission "+p.Name)
				seen[p.Name] = true
			}
		}
	default:
		need(false, "type", "unknown request type")
	}
	if len(bad) > 0 {
		return errs.InvalidFields(bad...)
	}
	return nil
}

// checkTarget checks the submission against the directory (the target exists and may be
// asked for by the caller; the app and permission exist; the access is or is not held) and
// fills what the request remembers of it (the target's manager, the app's owners).
func (s *Service) checkTarget(r *domain.Request, sub *authz.Subject, f *identityv1.GetFactsResponse) error {
	var target *identityv1.UserFacts
	if r.TargetUserID != "" {
		t, ok := f.GetUsers()[r.TargetUserID]
		if !ok {
			return errs.Invalid("target_user_id", "no user "+r.TargetUserID)
		}
		target = t
		r.TargetManagerID = t.GetManagerId()
	}
	var app *identityv1.AppFacts
	if r.AppID != "" {
		if a, ok := f.GetApps()[r.AppID]; ok {
			app = a
			r.AppOwnerIDs = slices.Clone(a.GetOwnerIds())
		}
	}
	if sub != nil {
		d := authz.CanSubmitRequestFor(*sub, r.TargetUserID, r.TargetManagerID)
		if r.Type.AboutUser() && app != nil {
			// An app owner manages access to the app for anyone (matrix: Manage App Access).
			d = authz.CanSubmitAccessRequestFor(*sub, r.TargetUserID, r.TargetManagerID, r.AppID, r.AppOwnerIDs)
		}
		if !d.Allowed {
			return errs.PermissionDenied("not allowed: " + d.Reason)
		}
	}
	if r.AppID != "" && app == nil {
		return errs.Invalid("app_id", "no app "+r.AppID)
	}
	var held *identityv1.Access
	for _, a := range f.GetAccesses() {
		if a.GetUserId() == r.TargetUserID && a.GetAppId() == r.AppID {
			held = a
		}
	}
	hasPermission := func(name string) bool {
		return slices.ContainsFunc(app.GetPermissions(), func(p *identityv1.Permission) bool { return p.GetName() == name })
	}
	switch r.Type {
	case domain.GrantAccess, domain.ChangePermission:
		switch {
		case target.GetStatus() != identityv1.User_ACTIVE:
			return errs.Invalid("target_user_id", "user "+r.TargetUserID+" is offboarded")
		case app.GetStatus() != identityv1.App_ACTIVE:
			return errs.Invalid("app_id", "app "+app.GetName()+" is archived")
		case !hasPermission(r.Permission):
			return errs.Invalid("permission", fmt.Sprintf("app %s has no permission %q", app.GetName(), r.Permission))
		}
		if r.Type == domain.GrantAccess && held != nil {
			if held.GetPermission() == r.Permission {
				return errs.Invalid("permission", fmt.Sprintf("the user already holds %s on %s", r.Permission, app.GetName()))
			}
			return errs.Invalid("permission", fmt.Sprintf("the user already holds %s on %s: ask for CHANGE_PERMISSION", held.GetPermission(), app.GetName()))
		}
		if r.Type == domain.ChangePermission {
			switch {
			case held == nil:
				return errs.Invalid("app_id", "the user holds no access on "+app.GetName()+" to change")
			case held.GetPermission() == r.Permission:
				return errs.Invalid("permission", "the user already holds "+r.Permission+" on "+app.GetName())
			}
			r.PreviousPermission = held.GetPermission()
		}
	case domain.RemoveAccess:
		switch {
		case held == nil:
			return errs.Invalid("app_id", "the user holds no access on "+app.GetName())
		case r.Permission != "" && held.GetPermission() != r.Permission:
			return errs.Invalid("permission", fmt.Sprintf("the user holds %s on %s, not %s", held.GetPermission(), app.GetName(), r.Permission))
		}
		r.Permission = held.GetPermission()
	case domain.ArchiveApp:
		if app.GetStatus() != identityv1.App_ACTIVE {
			return errs.Invalid("app_id", "app "+app.GetName()+" is already archived")
		}
	case domain.AddApp:
		for _, a := range f.GetApps() {
			if a.GetName() == r.NewApp.Name {
				return errs.Invalid("new_app.name", "an app named "+r.NewApp.Name+" exists")
			}
		}
		for i, o := range r.NewApp.OwnerIDs {
			u, ok := f.GetUsers()[o]
			if !ok || u.GetStatus() != identityv1.User_ACTIVE {
				return errs.Invalid(fmt.Sprintf("new_app.owner_ids[%d]", i), "no active user "+o)
			}
		}
		r.AppOwnerIDs = slices.Clone(r.NewApp.OwnerIDs)
	}
	return nil
}

// workflowFromPB is the resolved version's workflow as the request pins it: every step
// without an approval as ANY (the API's default), an escalation without a target as none,
// and the review steps as a list even when there are none.
func workflowFromPB(w *typev1.Workflow) domain.Workflow {
	out := pbconv.WorkflowFromPB(w)
	out.ReviewSteps = pbconv.List(out.ReviewSteps)
	pin := func(st *domain.Step) {
		if st.Approval == workflow.ApprovalUnset {
			st.Approval = workflow.ApprovalAny
		}
		if st.Escalation != nil && st.Escalation.To == "" {
			st.Escalation = nil
		}
	}
	pin(&out.ActionStep)
	for i := range out.ReviewSteps {
		pin(&out.ReviewSteps[i])
	}
	return out
}

// checkOrigin verifies with the review service that the origin names a PENDING item about
// this access that the requester reviews (or may decide, as Admin or GM).
func (s *Service) checkOrigin(ctx context.Context, requesterID string, sub authz.Subject, in Submission) error {
	if in.Origin.AccessReviewID == "" || in.Origin.ItemID == "" {
		return errs.Invalid("origin", "needs both accessReviewId and itemId")
	}
	if s.reviews == nil {
		return errs.Invalid("origin", "this deployment has no review service")
	}
	it, err := s.reviews.GetItem(ctx, &reviewv1.GetItemRequest{AccessReviewId: in.Origin.AccessReviewID, ItemId: in.Origin.ItemID})
	if status.Code(err) == codes.NotFound {
		return errs.Invalid("origin", "no such access review item")
	}
	if err != nil {
		return fmt.Errorf("verify the origin with the review service: %w", err)
	}
	governs := sub.Active && (sub.Role == authz.RoleAdmin || sub.Role == authz.RoleGeneralManager)
	switch {
	case it.GetStatus() != reviewv1.AccessReviewItem_PENDING:
		return errs.Invalid("origin", "the access review item is not waiting for a decision")
	case it.GetUserId() != in.TargetUserID || it.GetAppId() != in.AppID:
		return errs.Invalid("origin", "the access review item is about another access")
	case in.Type != domain.RemoveAccess && in.Type != domain.ChangePermission:
		return errs.Invalid("origin", "an access review opens only REMOVE_ACCESS and CHANGE_PERMISSION requests")
	case it.GetUserId() == requesterID:
		return errs.Invalid("origin", "nobody decides the review of their own access")
	case !governs && !slices.Contains(it.GetReviewerIds(), requesterID):
		return errs.Invalid("origin", "the requester does not review this item")
	}
	return nil
}
