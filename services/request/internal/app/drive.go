package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/request/internal/connector"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// gmReason is the history note of a General Manager's auto-approved manager step.
const gmReason = "the requester is the General Manager, who has no manager: manager approval is recorded as auto-approved"

// drive carries out the moves the request's domain decides (domain.Request.Next): open the
// current step's tasks, apply the effect, run the agent. Every move is idempotent and recorded before the
// next, so drive may run twice at once or again after a crash. inline: drive runs on a
// caller's path and leaves the agent (which may retry for a while) to the work queue.
//
// drive starts from r when given (the request as a caller just read or wrote it), else from
// the stored request id; after each move it goes on from the request that move committed.
// It returns the request as it left it (zero if it does not exist).
func (s *Service) drive(ctx context.Context, id string, r *domain.Request, inline bool) (domain.Request, error) {
	for range 64 { // each turn moves the request forward or returns
		if r == nil {
			got, err := s.store.GetRequest(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return domain.Request{}, nil
			}
			if err != nil {
				return domain.Request{}, err
			}
			r = &got
		}
		cur := *r
		switch cur.Next() {
		case domain.MoveNone:
			return cur, nil
		case domain.MoveApply:
			next, err := s.apply(ctx, cur)
			return next, err
		case domain.MoveOpenStep:
			next, err := s.openStep(ctx, cur)
			if err != nil {
				return domain.Request{}, err
			}
			r = next
		case domain.MoveRunAgent:
			if inline {
				return cur, nil
			}
			return cur, s.runAgent(ctx, cur)
		}
	}
	return domain.Request{}, fmt.Errorf("request %s made no progress in 64 turns", id)
}

// driveNamespace makes the ids of the work queue's drive items: one per request and
// position, so that whoever carries out that move retracts the item with it.
var driveNamespace = uuid.MustParse("5f0f3c52-8d7e-4f57-b4a5-3c9b1e0f7a26")

// driveWorkID is the id of the work item that drives r from its position (step, applying).
func driveWorkID(r domain.Request) string {
	return uuid.NewSHA1(driveNamespace, fmt.Appendf(nil, "%s/%d/%t", r.ID, r.StepIndex, r.Applying)).String()
}

// lockMoving locks r's row in tx and retracts the work item of r's position: whatever the
// transaction finds, the move from that position is decided (here, or by whoever moved the
// request on), so the item has nothing left to do.
func lockMoving(ctx context.Context, tx store.Tx, r domain.Request) (domain.Request, error) {
	cur, err := tx.LockRequest(ctx, r.ID)
	if err != nil {
		return cur, err
	}
	return cur, tx.Retract(ctx, SinkWork, driveWorkID(r))
}

// openWorkID is the id of the work item that asks the task service for the tasks of the
// request's step at index.
func openWorkID(requestID string, index int) string {
	return uuid.NewSHA1(driveNamespace, fmt.Appendf(nil, "%s/open/%d", requestID, index)).String()
}

// exclude is who never reviews or carries out the request: its requester and target.
func exclude(r domain.Request) []string {
	out := []string{r.RequesterID}
	if r.TargetUserID != "" && r.TargetUserID != r.RequesterID {
		out = append(out, r.TargetUserID)
	}
	return out
}

// openStep opens the request's current step: it resolves the step's assignees, records the
// opening (StepOpened, the task ids, request.step_opened, and the work item that asks the
// task service for the tasks) in one commit, then asks the task service (openTasks). The
// opening is recorded before the tasks exist, so no outcome of the step can arrive first.
// A refusal that retrying cannot change fails the request. It returns the request as it
// committed it, or nil when the request must be read again.
func (s *Service) openStep(ctx context.Context, r domain.Request) (*domain.Request, error) {
	in, refusal, err := s.stepSpec(ctx, r, nil)
	switch {
	case err != nil:
		return nil, err
	case refusal != "":
		return nil, s.fail(ctx, r.ID, refusal)
	}
	var out domain.Request
	recorded := false
	s.takeOff(in)
	defer s.land(in, false) // unless landed below
	// Quiet: the relays wake once the task service answered (opened commits and wakes them),
	// so the work relay does not race this caller to the opening's work item.
	err = s.writeQuiet(ctx, func(ctx context.Context, tx store.Tx) error {
		recorded = false // a retried closure starts again
		cur, err := lockMoving(ctx, tx, r)
		out = cur
		if err != nil {
			return err
		}
		if cur.Next() != domain.MoveOpenStep || cur.StepIndex != r.StepIndex {
			return nil
		}
		before := cur.Clone()
		if err := s.recordOpening(ctx, tx, &cur, in); err != nil {
			return err
		}
		if err := s.update(ctx, tx, before, &cur); err != nil {
			return err
		}
		out, recorded = cur, true
		return nil
	})
	if err != nil || !recorded {
		return &out, err
	}
	return s.openTasks(ctx, in, out)
}

// stepSpec makes the OpenStep call of r's current step: its assignees resolved through
// identity (with the request's exclusions), its quorum, due time and escalation. refusal is
// set when the step cannot open (nobody may review, a resolution refused): the request
// fails with it. err is a failure worth retrying.
//
// pre is the step's resolution made ahead, in the same moment (nil: none; see resolveStep).
func (s *Service) stepSpec(ctx context.Context, r domain.Request, pre *resolved) (in *taskv1.OpenStepRequest, refusal string, err error) {
	step, isAction := r.CurrentStep()
	in = &taskv1.OpenStepRequest{
		RequestId: r.ID, PolicyId: r.PolicyID, PolicyVersion: r.PolicyVersion, StepIndex: int32(r.StepIndex),
		StepName: step.Name, Type: taskv1.Task_REVIEW, Assignee: pbconv.AssigneePB(step.Assignee),
		Approval: typev1.Approval(typev1.Approval_value[step.Approval]), MinApprovals: int32(step.MinApprovals),
		Action: s.actionText(r), RequesterId: r.RequesterID, TargetUserId: r.TargetUserID,
	}
	if isAction {
		in.Type, in.Approval, in.MinApprovals = taskv1.Task_ACTION, typev1.Approval_APPROVAL_UNSPECIFIED, 0
	}
	final := func(what string, err error) (*taskv1.OpenStepRequest, string, error) {
		if transient(err) {
			return nil, "", fmt.Errorf("%s: %w", what, err)
		}
		return nil, what + ": " + describe(err), nil
	}
	if !isAction && step.Assignee.Kind == typev1.AssigneeKind_MANAGER.String() && r.SkipManagerSteps {
		in.AutoApproveReason = gmReason
		in.Approval, in.MinApprovals = typev1.Approval_ANY, 0
	} else {
		res, err := s.resolveStep(ctx, r, in.Assignee, pre)
		if err != nil {
			return final("cannot resolve the assignees of step "+step.Name, err)
		}
		agent := res.GetAgent()
		in.AssigneeIds, in.ResolutionNote = res.GetUserIds(), res.GetExplanation()
		if agent {
			in.AssigneeIds = nil
		}
		if !agent && len(in.AssigneeIds) == 0 {
			return nil, "nobody may review or carry out step " + step.Name + " (no assignee, and no admin besides the requester and target)", nil
		}
		if in.Approval == typev1.Approval_QUORUM && int(in.MinApprovals) > len(in.AssigneeIds) {
			in.ResolutionNote = joinNote(in.ResolutionNote, fmt.Sprintf("quorum lowered from %d to the %d people who may review", in.MinApprovals, len(in.AssigneeIds)))
			in.MinApprovals = int32(len(in.AssigneeIds))
		}
	}
	if !isAction && in.AutoApproveReason == "" && step.DueAfter > 0 {
		if err := s.dueAndEscalation(ctx, r, step, in); err != nil {
			return final("cannot resolve the escalation of step "+step.Name, err)
		}
	}
	return in, "", nil
}

// taskCount is how many tasks the task service makes for in (its StepSpec.Tasks): one shared
// by every assignee for ANY, an action step and an auto-approved step; one per assignee for
// ALL and QUORUM.
func taskCount(in *taskv1.OpenStepRequest) int {
	if in.GetType() == taskv1.Task_REVIEW && in.GetAutoApproveReason() == "" &&
		(in.GetApproval() == typev1.Approval_ALL || in.GetApproval() == typev1.Approval_QUORUM) {
		return len(in.GetAssigneeIds())
	}
	return 1
}

// opening records on r the opening of its current step that in describes (StepOpened, the
// task ids, chosen now and set on in, the assignees), and returns request.step_opened's
// payload. No store is touched: submit records a first step's opening with the request.
func opening(r *domain.Request, in *taskv1.OpenStepRequest) *eventsv1.RequestChanged {
	in.TaskIds = domain.NewTaskIDs(taskCount(in))
	r.StepOpened = true
	r.AddTasks(in.TaskIds...)
	r.AddAssignees(in.AssigneeIds...)
	data := eventData(*r)
	data.TaskIds, data.AssigneeIds = in.TaskIds, slices.Clone(in.AssigneeIds)
	if data.AssigneeIds == nil {
		data.AssigneeIds = []string{}
	}
	data.Note = joinNote(in.GetResolutionNote(), in.GetAutoApproveReason())
	return data
}

// recordOpening records, in tx, the opening of r's current step (opening), its event, and the
// work item that asks the task service for the tasks should this process stop before it did.
func (s *Service) recordOpening(ctx context.Context, tx store.Tx, r *domain.Request, in *taskv1.OpenStepRequest) error {
	data := opening(r, in)
	if err := s.emit(ctx, tx, "request.step_opened", *r, auth.SystemUserID, data); err != nil {
		return err
	}
	return s.work(ctx, tx, workOpen, *r, &eventsv1.RequestWork{OpenStep: in})
}

// openTasks asks the task service for the tasks of a step whose opening the request
// recorded (idempotent per request and step), then records the answer (opened), and lands
// the opening's flight. known is the request as the commit that recorded the opening left
// it: returned when the answer leaves the request as it was.
func (s *Service) openTasks(ctx context.Context, in *taskv1.OpenStepRequest, known domain.Request) (*domain.Request, error) {
	out, _, err := s.openTasksThen(ctx, in, known, false)
	return out, err
}

// openTasksThen is openTasks; with later set, when the answer leaves the request as it was,
// the work item's retraction is committed after openTasksThen returned (behind true), so
// that the caller does not wait for that commit: the flight lands, and the relays are woken,
// once it committed. Until then a work relay that read the item waits for the flight, as it
// does for the call; if the process stops first, the item is delivered and asks the task
// service again (idempotent), as for a stop before the answer.
func (s *Service) openTasksThen(ctx context.Context, in *taskv1.OpenStepRequest, known domain.Request, later bool) (out *domain.Request, behind bool, err error) {
	defer func() {
		if !behind {
			s.land(in, err == nil)
		}
	}()
	res, err := s.tasks.OpenStep(ctx, in)
	if err != nil {
		return nil, false, s.failUnlessTransient(ctx, in.GetRequestId(), "cannot open the tasks of step "+in.GetStepName(), err)
	}
	if changes(in, res) {
		out, err = s.opened(ctx, in, res)
		return out, false, err
	}
	// The tasks are the ones recorded: the work item is done, and that is all. When a work
	// relay of this process holds the item already (it read it and waits for this flight),
	// its acknowledgement deletes it: no commit here (should the process stop first, the item
	// is delivered again and asks the task service again, idempotent, as after a stop before
	// the retraction).
	retract := func(ctx context.Context) error {
		if s.heldByRelay(in) {
			s.notify() // what the retraction's commit would have woken
			return nil
		}
		return s.write(ctx, func(ctx context.Context, tx store.Tx) error {
			return tx.Retract(ctx, SinkWork, openWorkID(in.GetRequestId(), int(in.GetStepIndex())))
		})
	}
	if !later {
		return &known, false, retract(ctx)
	}
	ctx = context.WithoutCancel(ctx) // the caller has its answer and goes
	go func() {
		err := retract(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "request: the opening's work item stays for the work queue", "request", in.GetRequestId(), "error", err.Error())
		}
		s.land(in, err == nil)
	}()
	return &known, true, nil
}

// changes reports whether the task service's answer res to the opening in changes the
// request: an auto-approved step passed, the agent's step is for the work queue, or an
// earlier opening made other tasks than the ones recorded.
func changes(in *taskv1.OpenStepRequest, res *taskv1.OpenStepResponse) bool {
	if res.GetStepOutcome() == taskv1.StepOutcome_PASSED || in.GetAssignee().GetKind() == typev1.AssigneeKind_AGENT ||
		len(res.GetTasks()) != len(in.GetTaskIds()) {
		return true
	}
	for _, t := range res.GetTasks() {
		if !slices.Contains(in.GetTaskIds(), t.GetId()) {
			return true
		}
	}
	return false
}

// takeOff marks the opening in as carried out on this caller's path, before the commit
// that queues its work item (see Service.flights).
func (s *Service) takeOff(in *taskv1.OpenStepRequest) {
	s.flights.LoadOrStore(openWorkID(in.GetRequestId(), int(in.GetStepIndex())), &flight{done: make(chan struct{})})
}

// heldByRelay reports whether a work relay of this process holds the work item of the
// opening in, waiting for its flight.
func (s *Service) heldByRelay(in *taskv1.OpenStepRequest) bool {
	v, ok := s.flights.Load(openWorkID(in.GetRequestId(), int(in.GetStepIndex())))
	return ok && v.(*flight).held.Load()
}

// land ends the flight of the opening in (nil, or landed already: nothing), ok when its tasks
// were made and recorded.
func (s *Service) land(in *taskv1.OpenStepRequest, ok bool) {
	if in == nil {
		return
	}
	key := openWorkID(in.GetRequestId(), int(in.GetStepIndex()))
	if ok {
		// Remembered before the flight ends, so that a relay looking finds one or the other.
		s.landed.Store(key, struct{}{})
		time.AfterFunc(landedFor, func() { s.landed.Delete(key) })
	}
	if v, loaded := s.flights.LoadAndDelete(key); loaded {
		f := v.(*flight)
		f.ok = ok
		close(f.done)
		if !ok {
			s.notify() // the work item, if it was queued, is the work relay's now
		}
	}
}

// opened records the task service's answer to the opening in: the open-step work item is
// done; an auto-approved step passed; the agent's step goes to the work queue. It returns
// the request as it committed it.
func (s *Service) opened(ctx context.Context, in *taskv1.OpenStepRequest, res *taskv1.OpenStepResponse) (*domain.Request, error) {
	var out domain.Request
	err := s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.LockRequest(ctx, in.GetRequestId())
		if err != nil {
			return err
		}
		out = cur
		if err := tx.Retract(ctx, SinkWork, openWorkID(cur.ID, int(in.GetStepIndex()))); err != nil {
			return err
		}
		if !cur.TakesOutcome(int(in.GetStepIndex())) {
			return nil // moved on meanwhile (an outcome, a cancellation)
		}
		before := cur.Clone()
		for _, t := range res.GetTasks() { // the ids recorded, unless an earlier opening chose others
			cur.AddTasks(t.GetId())
			cur.AddAssignees(t.GetAssigneeIds()...)
		}
		switch {
		case res.GetStepOutcome() == taskv1.StepOutcome_PASSED:
			if err := s.passStep(ctx, tx, &cur, gmReason, nil); err != nil {
				return err
			}
		case in.GetAssignee().GetKind() == typev1.AssigneeKind_AGENT:
			if err := s.work(ctx, tx, workAgent, cur, nil); err != nil {
				return err
			}
		}
		if err := s.update(ctx, tx, before, &cur); err != nil {
			return err
		}
		out = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// openQueued carries out an open-step work item: when the request still stands at that
// step, the task service is asked for its tasks (again: idempotent), and the request is
// driven on from there.
func (s *Service) openQueued(ctx context.Context, in *taskv1.OpenStepRequest) error {
	key := openWorkID(in.GetRequestId(), int(in.GetStepIndex()))
	if _, ok := s.landed.Load(key); ok {
		return nil // done on a caller's path, which retracted the item after this relay read it
	}
	if v, ok := s.flights.Load(key); ok {
		f := v.(*flight)
		f.held.Store(true) // the caller's path leaves the item to this relay's acknowledgement
		select {
		case <-f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if f.ok {
			return nil // done on the caller's path
		}
	}
	r, err := s.store.GetRequest(ctx, in.GetRequestId())
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !r.TakesOutcome(int(in.GetStepIndex())) {
		if r.Status == domain.Cancelled || r.Status == domain.Failed {
			return s.fenceOpening(ctx, in)
		}
		return nil // moved on, or declined: the step's outcome came, so its tasks exist
	}
	next, err := s.openTasks(ctx, in, r)
	if err != nil {
		return err
	}
	_, err = s.drive(ctx, r.ID, next, false)
	return err
}

// fenceOpening carries out the open-step work item of a request cancelled or failed since it
// recorded the opening: the task service is asked for the step's tasks all the same, so that
// the step exists before the cancellation of the request's tasks, which the commit that
// closed it queued behind this item, runs. Otherwise an OpenStep still in flight (a caller's
// path in another replica, a flight that failed here while its call went on, a process that
// stopped) could make the tasks after that cancellation found nothing to cancel, and they
// would stay open for a closed request; now such a call finds the step made (OpenStep is
// idempotent per request and step) and makes nothing, and the cancellation cancels the
// tasks this call made.
func (s *Service) fenceOpening(ctx context.Context, in *taskv1.OpenStepRequest) error {
	if _, err := s.tasks.OpenStep(ctx, in); err != nil {
		if transient(err) {
			return fmt.Errorf("open the step of a closed request before its tasks are cancelled: %w", err)
		}
		s.log.WarnContext(ctx, "request: the step of a closed request not opened", "request", in.GetRequestId(), "step", in.GetStepIndex(), "error", err.Error())
	}
	return nil
}

// passStep records that the current step passed and moves on: to applying the effect after
// the action step, or to the next step, whose opening is recorded here when next was
// prepared for it (its assignees resolved before the transaction), else left to a work item.
func (s *Service) passStep(ctx context.Context, tx store.Tx, r *domain.Request, note string, next *taskv1.OpenStepRequest) error {
	step, isAction := r.CurrentStep()
	data := eventData(*r)
	data.StepName, data.Note = step.Name, note
	action := "request.step_passed"
	if isAction {
		action = "request.action_completed"
	}
	if err := s.emit(ctx, tx, action, *r, auth.SystemUserID, data); err != nil {
		return err
	}
	r.Advance()
	if next != nil && r.Next() == domain.MoveOpenStep && int(next.GetStepIndex()) == r.StepIndex {
		return s.recordOpening(ctx, tx, r, next)
	}
	return s.work(ctx, tx, workDrive, *r, nil)
}

// update writes cur, with its next version, if it differs from before.
func (s *Service) update(ctx context.Context, tx store.Tx, before domain.Request, cur *domain.Request) error {
	if requestsEqual(before, *cur) {
		return nil
	}
	cur.Version = before.Version + 1
	cur.UpdateTime = s.now()
	return tx.UpdateRequest(ctx, *cur)
}

func requestsEqual(a, b domain.Request) bool {
	return a.Status == b.Status && a.Stage == b.Stage && a.StepIndex == b.StepIndex && a.StepOpened == b.StepOpened &&
		a.Applying == b.Applying && a.AppID == b.AppID && a.FailureReason == b.FailureReason &&
		slices.Equal(a.TaskIDs, b.TaskIDs) && slices.Equal(a.AssigneeIDs, b.AssigneeIDs)
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// failUnlessTransient fails the request when err is a final answer; a transient error is
// returned so that the work queue tries again later.
func (s *Service) failUnlessTransient(ctx context.Context, id, what string, err error) error {
	if transient(err) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return s.fail(ctx, id, what+": "+describe(err))
}

// fail closes an open request as FAILED with the reason, and cancels its open tasks.
func (s *Service) fail(ctx context.Context, id, reason string) error {
	return s.close(ctx, id, domain.Failed, reason, "request.failed")
}

// close closes an open request and queues the cancellation of its open tasks.
func (s *Service) close(ctx context.Context, id string, status domain.Status, reason, action string) error {
	closed := false
	err := s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := tx.LockRequest(ctx, id)
		if err != nil {
			return err
		}
		if !cur.Open() {
			return nil
		}
		before := cur.Clone()
		cur.Close(status, reason)
		closed = true
		if err := s.emit(ctx, tx, action, cur, auth.SystemUserID, eventData(cur)); err != nil {
			return err
		}
		if err := s.work(ctx, tx, workCancelTasks, cur, &eventsv1.RequestWork{Reason: "request " + string(status) + ": " + reason}); err != nil {
			return err
		}
		return s.update(ctx, tx, before, &cur)
	})
	if err == nil && closed {
		s.log.InfoContext(ctx, "request closed", "request", id, "status", string(status), "reason", reason)
	}
	return err
}

// apply applies the effect of a request whose action step passed, and closes it DONE, or
// FAILED with the reason identity gave. It returns the request as it left it (zero when it
// must be read again).
func (s *Service) apply(ctx context.Context, r domain.Request) (domain.Request, error) {
	var (
		err    error
		expire time.Time // the access's expiry, as identity stored it
	)
	appID := r.AppID
	switch r.Type {
	case domain.GrantAccess, domain.ChangePermission, domain.RemoveAccess:
		change := map[domain.Type]identityv1.AccessChange{
			domain.GrantAccess: identityv1.AccessChange_GRANT, domain.ChangePermission: identityv1.AccessChange_CHANGE,
			domain.RemoveAccess: identityv1.AccessChange_REMOVE,
		}[r.Type]
		in := &identityv1.ApplyAccessChangeRequest{
			RequestId: r.ID, Change: change, UserId: r.TargetUserID, AppId: r.AppID, Permission: r.Permission,
		}
		if r.AccessDuration > 0 && r.Type != domain.RemoveAccess {
			expire = s.now().Add(r.AccessDuration)
			in.ExpireTime = timestamppb.New(expire)
		}
		_, err = s.identity.ApplyAccessChange(ctx, in)
	case domain.AddApp:
		in := &identityv1.AddAppRequest{RequestId: r.ID, RequesterId: r.RequesterID, Name: r.NewApp.Name, OwnerIds: r.NewApp.OwnerIDs}
		for _, p := range r.NewApp.Permissions {
			in.Permissions = append(in.Permissions, &identityv1.Permission{Name: p.Name, Privileged: p.Privileged})
		}
		var res *identityv1.AddAppResponse
		res, err = s.identity.AddApp(ctx, in)
		appID = res.GetApp().GetId()
	case domain.ArchiveApp:
		_, err = s.identity.ArchiveApp(ctx, &identityv1.ArchiveAppRequest{RequestId: r.ID, AppId: r.AppID})
		if err == nil {
			// Archiving is whole: the app's open requests are cancelled and its app and
			// permission policies retired before this one is DONE (a retry after a crash does
			// what is left).
			if cerr := s.cancelAppRequests(ctx, r); cerr != nil {
				return domain.Request{}, fmt.Errorf("apply request %s: cancel the app's requests: %w", r.ID, cerr)
			}
			if perr := s.retireAppPolicies(ctx, r); perr != nil {
				return domain.Request{}, fmt.Errorf("apply request %s: retire the app's policies: %w", r.ID, perr)
			}
		}
	}
	if err != nil {
		if transient(err) {
			return domain.Request{}, fmt.Errorf("apply request %s: %w", r.ID, err)
		}
		return domain.Request{}, s.close(ctx, r.ID, domain.Failed, "the effect could not be applied: "+describe(err), "request.failed")
	}
	var out domain.Request
	err = s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		cur, err := lockMoving(ctx, tx, r)
		out = cur
		if err != nil {
			return err
		}
		if !cur.Open() || !cur.Applying {
			return nil
		}
		before := cur.Clone()
		cur.Close(domain.Done, "")
		cur.AppID, cur.ExpireTime = appID, expire
		if err := expiryTimers(ctx, tx, cur); err != nil {
			return err
		}
		if err := s.emit(ctx, tx, "request.done", cur, auth.SystemUserID, eventData(cur)); err != nil {
			return err
		}
		if err := s.update(ctx, tx, before, &cur); err != nil {
			return err
		}
		out = cur
		return nil
	})
	return out, err
}

// actionText says in words what the request asks for (tasks show it).
func (s *Service) actionText(r domain.Request) string {
	switch r.Type {
	case domain.GrantAccess:
		return fmt.Sprintf("Grant %s on app %s to user %s", r.Permission, r.AppID, r.TargetUserID)
	case domain.ChangePermission:
		return fmt.Sprintf("Change the permission of user %s on app %s from %s to %s", r.TargetUserID, r.AppID, r.PreviousPermission, r.Permission)
	case domain.RemoveAccess:
		return fmt.Sprintf("Remove %s on app %s from user %s", r.Permission, r.AppID, r.TargetUserID)
	case domain.AddApp:
		return "Add the app " + r.NewApp.Name
	case domain.ArchiveApp:
		return "Archive the app " + r.AppID
	}
	return string(r.Type)
}

// runAgent carries out the action step assigned to the system agent: the app's connector
// provisions the change, then the agent completes its task (the effect is then applied and
// the request closes). When the connector keeps failing, the task goes to the app's owners
// as a manual action, with the reason in its history.
func (s *Service) runAgent(ctx context.Context, r domain.Request) error {
	sys := auth.WithPrincipal(ctx, auth.System())
	list, err := s.taskPublic.ListTasks(sys, &taskv1.ListTasksRequest{RequestId: r.ID, PageSize: 500})
	if err != nil {
		return fmt.Errorf("agent: list the tasks of %s: %w", r.ID, err)
	}
	var task *taskv1.Task
	for _, t := range list.GetTasks() {
		if t.GetType() == taskv1.Task_ACTION && int(t.GetStepIndex()) == r.StepIndex {
			task = t
		}
	}
	if task == nil || task.GetStatus() != taskv1.Task_PENDING || len(task.GetAssigneeIds()) > 0 {
		return nil // done already, or handed to people
	}
	a := connector.Action{RequestID: r.ID, TaskID: task.GetId(), Type: string(r.Type), UserID: r.TargetUserID,
		AppID: r.AppID, Permission: r.Permission, PreviousPermission: r.PreviousPermission}
	facts := &identityv1.GetFactsRequest{}
	if r.TargetUserID != "" {
		facts.UserIds = []string{r.TargetUserID}
	}
	if r.AppID != "" {
		facts.AppIds = []string{r.AppID}
	}
	f, err := s.identity.GetFacts(ctx, facts)
	if err != nil {
		return fmt.Errorf("agent: facts of %s: %w", r.ID, err)
	}
	a.UserEmail = f.GetUsers()[r.TargetUserID].GetEmail()
	a.AppName = f.GetApps()[r.AppID].GetName()
	if r.NewApp != nil {
		a.AppName, a.NewAppOwnerIDs = r.NewApp.Name, r.NewApp.OwnerIDs
	}
	conn, err := s.connectors.For(ctx, r.AppID, a.AppName)
	if err != nil {
		return fmt.Errorf("agent: the connector of %s: %w", r.AppID, err)
	}
	if perr := conn.Provision(ctx, a); perr != nil {
		owners, err := s.identity.ResolveAssignees(ctx, &identityv1.ResolveAssigneesRequest{
			Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_APP_OWNER}, AppId: r.AppID, ExcludeUserIds: exclude(r),
		})
		if err != nil {
			return fmt.Errorf("agent: owners of %s: %w", r.AppID, err)
		}
		note := fmt.Sprintf("the system agent could not provision through the %s connector (%v); carry the change out by hand and complete this task", conn.Name(), perr)
		note = joinNote(note, owners.GetExplanation())
		if len(note) > 2000 {
			note = note[:2000]
		}
		_, err = s.taskPublic.ReassignTask(sys, &taskv1.ReassignTaskRequest{Id: task.GetId(), AssigneeIds: owners.GetUserIds(), Note: note})
		if err != nil && transient(err) {
			return fmt.Errorf("agent: hand task %s to the owners: %w", task.GetId(), err)
		}
		s.log.WarnContext(ctx, "agent: provisioning failed; task handed to the app's owners", "request", r.ID, "task", task.GetId(), "error", perr.Error())
		return nil
	}
	_, err = s.taskPublic.CompleteTask(sys, &taskv1.CompleteTaskRequest{Id: task.GetId(), Note: "provisioned by the system agent through the " + conn.Name() + " connector"})
	if err != nil && transient(err) {
		return fmt.Errorf("agent: complete task %s: %w", task.GetId(), err)
	}
	return nil
}
