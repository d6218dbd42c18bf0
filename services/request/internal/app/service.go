package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/grantflow/grantflow/pkg/events"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/request/internal/connector"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// ServiceName is this service's name in events and traces.
const ServiceName = "grantflow-request"

// Sink names of the outbox: "audit" receives every event; "work" is the service's own
// queue of what must still happen after a commit (open the next step, apply the effect,
// run the agent, cancel tasks): delivered back to this service at least once, so a crash
// between two steps delays an advance but never loses it.
const (
	SinkAudit = "audit"
	SinkWork  = "work"
	// SinkNotification receives every audited event too (webhooks).
	SinkNotification = "notification"
	// SinkReview receives a request's opening and closing (the review service blocks and
	// releases access review items, and follows the requests its decisions opened).
	SinkReview = "review"
)

// toReview are the actions the review service receives, when it is configured.
var toReview = map[string]bool{
	"request.created": true, "request.done": true, "request.cancelled": true, "request.failed": true, "request.declined": true,
}

// Work actions (sink "work").
const (
	workDrive       = "request.work.drive"
	workCancelTasks = "request.work.cancel_tasks"
	workAgent       = "request.work.agent"
	// workOpen asks the task service for the tasks of a step whose opening the request
	// recorded (payload: the OpenStep call); retracted once the task service answered.
	workOpen = "request.work.open_step"
)

// Options configure the service.
type Options struct {
	Store store.Store
	// Identity: facts, assignee resolution and the effects (internal API).
	Identity identityv1.IdentityInternalServiceClient
	// Policy resolves the policy version a request follows.
	Policy policyv1.PolicyServiceClient
	// Tasks opens and cancels steps' tasks and standalone tasks (internal API); TaskPublic
	// completes and reassigns the agent's tasks.
	Tasks      taskv1.TaskInternalServiceClient
	TaskPublic taskv1.TaskServiceClient
	// Reviews verifies the origin of a review's request (nil: such origins are refused).
	Reviews reviewv1.ReviewInternalServiceClient
	// Connectors carry out the AGENT's action steps (see package connector).
	Connectors *connector.Registry
	Logger     *slog.Logger
	// Notify is called after a commit that appended outbox events (wakes the relays).
	Notify func()
	Now    func() time.Time
	// ToReview: a request's opening and closing also go to the outbox's "review" sink.
	ToReview bool
	// IngestAttempts and IngestWindow bound how long an incoming event (a task outcome,
	// user.onboarded, user.offboarded) that keeps failing with an error other than a
	// dependency being unavailable is retried: it is given up on at its first failure after
	// it failed IngestAttempts times and IngestWindow since its first failure (see
	// Service.ingestFailed). 0: DefaultIngestAttempts, DefaultIngestWindow.
	IngestAttempts int
	IngestWindow   time.Duration
}

// Service implements the request API.
type Service struct {
	store      store.Store
	identity   identityv1.IdentityInternalServiceClient
	policy     policyv1.PolicyServiceClient
	tasks      taskv1.TaskInternalServiceClient
	taskPublic taskv1.TaskServiceClient
	reviews    reviewv1.ReviewInternalServiceClient
	connectors *connector.Registry
	log        *slog.Logger
	notify     func()
	now        func() time.Time
	toReview   bool
	// failures counts the failed attempts of each work item (event id -> *atomic.Int32).
	failures sync.Map
	// ingestFails counts the failed attempts of each incoming event (Ingest), and
	// ingestAttempts, ingestWindow bound them (Options).
	ingestFails    ingestFailures
	ingestAttempts int
	ingestWindow   time.Duration
	// flights are the step openings this process carries out on a caller's path (open-step
	// work item id -> *flight), from before the commit that queues their work item until
	// the task service answered: the work relay, which may see the item first, waits for
	// them instead of asking the task service again.
	flights sync.Map
	// landed are the openings of flights that landed with their tasks made and recorded
	// (open-step work item id -> struct{}), for landedFor: a work relay that read the item
	// before the caller's path retracted it finds it here and does not ask again.
	landed sync.Map
}

// landedFor is how long a landed opening is remembered (see Service.landed): far longer than
// a relay holds a batch it has read.
const landedFor = time.Minute

// flight is an opening carried out on a caller's path; done closes when it ends, ok says
// whether the task service made the tasks and the answer was recorded. held is set by a work
// relay of this process that read the opening's work item and waits for the flight: that
// relay acknowledges (deletes) the item once the flight landed, so the caller's path does
// not commit a retraction of its own.
type flight struct {
	done chan struct{}
	ok   bool
	held atomic.Bool
}

// New returns the service.
func New(o Options) *Service {
	s := &Service{store: o.Store, identity: o.Identity, policy: o.Policy, tasks: o.Tasks, taskPublic: o.TaskPublic, reviews: o.Reviews,
		connectors: o.Connectors, log: o.Logger, notify: o.Notify, now: o.Now, toReview: o.ToReview}
	s.log, s.notify, s.now = appkit.Defaults(s.log, s.notify, s.now)
	if s.connectors == nil {
		s.connectors = connector.NewRegistry(nil)
	}
	s.ingestAttempts, s.ingestWindow = cmp.Or(o.IngestAttempts, DefaultIngestAttempts), cmp.Or(o.IngestWindow, DefaultIngestWindow)
	return s
}

// write runs fn in one transaction, then wakes the relays.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return appkit.Write(ctx, s.store.InTx, s.notify, fn)
}

// writeQuiet runs fn in one transaction without waking the relays: the caller goes on with
// the work it queued and wakes them after (so the work queue does not race it for nothing).
func (s *Service) writeQuiet(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.store.InTx(ctx, fn)
}

var isAdminOrGM = appkit.AdminOrGM

// internalCaller refuses a caller that is not another Grantflow service.
func internalCaller(ctx context.Context) error {
	_, err := appkit.Internal(ctx)
	return err
}

var newID = appkit.NewID

// event builds an outbox event about request r, with payload (nil: none). actor overrides
// the caller as the actor ("system" for what the engine does by itself).
func (s *Service) event(ctx context.Context, action string, r domain.Request, actor string, payload proto.Message) (*eventsv1.Event, error) {
	ev := events.New(ctx, ServiceName, action, "requests/"+r.ID, s.now(), actor)
	ev.RequestId, ev.PolicyId, ev.PolicyVersion = r.ID, r.PolicyID, r.PolicyVersion
	if ev.ActorId == "" {
		ev.ActorId = auth.SystemUserID
	}
	if payload != nil {
		if err := events.SetPayload(ev, payload); err != nil {
			return nil, err
		}
	}
	return ev, nil
}

// emit appends an audit event about r.
func (s *Service) emit(ctx context.Context, tx store.Tx, action string, r domain.Request, actor string, data *eventsv1.RequestChanged) error {
	ev, err := s.event(ctx, action, r, actor, data)
	if err != nil {
		return err
	}
	sinks := []string{SinkAudit, SinkNotification}
	if s.toReview && toReview[action] {
		sinks = append(sinks, SinkReview)
	}
	return tx.Emit(ctx, sinks, ev)
}

// work appends a work item about r for this service itself (sink "work").
func (s *Service) work(ctx context.Context, tx store.Tx, action string, r domain.Request, data *eventsv1.RequestWork) error {
	ev, err := s.event(ctx, action, r, auth.SystemUserID, data)
	if err != nil {
		return err
	}
	switch action {
	case workDrive:
		ev.Id = driveWorkID(r) // retracted by whoever makes the move first
	case workOpen:
		ev.Id = openWorkID(r.ID, r.StepIndex) // retracted once the task service answered
	}
	return tx.Emit(ctx, []string{SinkWork}, ev)
}

// eventData is the payload of the request's audit events: the request after the change.
func eventData(r domain.Request) *eventsv1.RequestChanged {
	e := &eventsv1.RequestChanged{
		Type: string(r.Type), Status: string(r.Status), Stage: string(r.Stage), RequesterId: r.RequesterID,
		TargetUserId: r.TargetUserID, AppId: r.AppID, Permission: r.Permission, PreviousPermission: r.PreviousPermission,
		Reason: r.Reason, PolicyLevel: r.PolicyLevel, StepIndex: int32(r.StepIndex), FailureReason: r.FailureReason,
	}
	if r.NewApp != nil {
		e.NewApp = &eventsv1.RequestedApp{Name: r.NewApp.Name, OwnerIds: r.NewApp.OwnerIDs}
		for _, p := range r.NewApp.Permissions {
			e.NewApp.Permissions = append(e.NewApp.Permissions, &eventsv1.AppPermission{Name: p.Name, Privileged: p.Privileged})
		}
	}
	if r.Open() {
		st, _ := r.CurrentStep()
		e.StepName = st.Name
	}
	return e
}

// transient reports whether an error is worth retrying later (a service or the database
// is down or overloaded, or a local failure) rather than a final answer about the request.
// Other services' answers are read as domain errors whether or not the connection turned
// them into ones (grpcclient.Dial installs errs.FromStatus; a bare connection hands over the
// status): a refusal such as INVALID_ARGUMENT must not be retried forever, since a retried
// event holds up every event queued behind it.
func transient(err error) bool {
	err = errs.FromStatus(err)
	var answer *errs.Error
	if errors.As(err, &answer) && !errs.Temporary(err) {
		return false
	}
	return true
}

// describe is a one-line account of an error of another service, for a request's
// failure reason.
func describe(err error) string {
	e := errs.FromStatus(err)
	var ge *errs.Error
	if errors.As(e, &ge) {
		return ge.Message
	}
	return fmt.Sprint(e)
}
