package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// The defaults of the give-up of event ingestion (Options.IngestAttempts, IngestWindow).
const (
	DefaultIngestAttempts = 10
	DefaultIngestWindow   = 5 * time.Minute
)

// actionDropped is the audit record of an event given up on (see ingestFailed): subject
// events/<the event's id>, the event's request and task ids, and its payload.
const actionDropped = "request.event_dropped"

// ingestFailures counts the failed attempts of each incoming event that another service
// delivers (event id -> first failure and count), for ingestFailed.
type ingestFailures struct {
	mu sync.Mutex
	m  map[string]*ingestFailure
}

type ingestFailure struct {
	attempts int
	first    time.Time
}

// add counts a failure of event id at now and reports the attempts so far and since when.
func (f *ingestFailures) add(id string, now time.Time) ingestFailure {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[string]*ingestFailure{}
	}
	c := f.m[id]
	if c == nil {
		c = &ingestFailure{first: now}
		f.m[id] = c
	}
	c.attempts++
	return *c
}

// forget drops the counts of evs (handled, or given up on).
func (f *ingestFailures) forget(evs ...*eventsv1.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.m) == 0 {
		return
	}
	for _, ev := range evs {
		delete(f.m, ev.GetId())
	}
}

// droppedEvents counts the incoming events given up on, labelled by action, as
// grantflow.request.events_dropped (Prometheus: grantflow_request_events_dropped_total).
var droppedEvents = func() metric.Int64Counter {
	c, err := otel.GetMeterProvider().Meter("github.com/grantflow/grantflow/services/request").Int64Counter(
		"grantflow.request.events_dropped", metric.WithUnit("{event}"),
		metric.WithDescription("Incoming events the request service gave up on after repeated failures (acknowledged, recorded in audit as request.event_dropped)."))
	if err != nil {
		otel.Handle(err)
	}
	return c
}()

// ingestFailed decides what a failure of incoming event ev does (the sender delivers the same
// batch again as long as Ingest fails, and nothing queued behind ev is delivered meanwhile).
// A dependency that is unavailable is waited for as long as it takes. Another error (a bug
// here or elsewhere answering INTERNAL, a corrupt row) is returned until it has failed
// ingestAttempts times over at least ingestWindow; then the event is given up on: logged at
// ERROR with its id, counted (droppedEvents), recorded as processed with an audit event
// request.event_dropped in one commit, and, for a task outcome that would have moved its
// request, the request is closed FAILED with the reason (it could not advance any more).
// nil then: the delivery is acknowledged and the events behind ev go on.
func (s *Service) ingestFailed(ctx context.Context, ev *eventsv1.Event, cause error) error {
	if unavailable(cause) {
		return cause
	}
	f := s.ingestFails.add(ev.GetId(), s.now())
	if f.attempts < s.ingestAttempts || s.now().Sub(f.first) < s.ingestWindow {
		return cause
	}
	s.log.ErrorContext(ctx, "request: incoming event keeps failing; given up on and acknowledged",
		"event", ev.GetId(), "action", ev.GetAction(), "from", ev.GetService(), "subject", ev.GetSubject(),
		"attempts", f.attempts, "since", f.first, "error", cause.Error())
	if d := ev.GetTaskChanged(); settles(ev) && d.GetStepOutcome() != "" && d.GetRequestId() != "" {
		reason := fmt.Sprintf("the engine could not take the outcome of task %s (event %s): %s", d.GetTaskId(), ev.GetId(), describe(cause))
		if err := s.fail(ctx, d.GetRequestId(), reason); err != nil {
			if unavailable(err) {
				return err
			}
			s.log.ErrorContext(ctx, "request: the request of an event given up on could not be failed", "event", ev.GetId(), "request", d.GetRequestId(), "error", err.Error())
		}
	}
	if err := s.recordDropped(ctx, ev); err != nil {
		return err
	}
	s.ingestFails.forget(ev)
	droppedEvents.Add(context.WithoutCancel(ctx), 1, metric.WithAttributes(attribute.String("action", ev.GetAction())))
	return nil
}

// recordDropped marks ev processed, so that no later delivery handles it, and appends the
// audit event request.event_dropped about it, in one commit.
func (s *Service) recordDropped(ctx context.Context, ev *eventsv1.Event) error {
	return s.write(ctx, func(ctx context.Context, tx store.Tx) error {
		if isNew, err := tx.MarkProcessed(ctx, ev.GetId()); err != nil || !isNew {
			return err
		}
		rec := events.New(ctx, ServiceName, actionDropped, "events/"+ev.GetId(), s.now(), auth.SystemUserID)
		rec.RequestId, rec.TaskId = ev.GetRequestId(), ev.GetTaskId()
		if d := ev.GetTaskChanged(); d != nil {
			rec.RequestId, rec.TaskId = d.GetRequestId(), d.GetTaskId()
		}
		rec.Payload = proto.Clone(ev).(*eventsv1.Event).Payload // what was lost
		return tx.Emit(ctx, []string{SinkAudit}, rec)
	})
}
