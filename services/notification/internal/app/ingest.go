package app

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// Ingest fans a relayed batch out: each event id once (ids seen before, or repeated in the
// batch, are acknowledged and skipped), one delivery per enabled subscription whose filters
// match its type, and the email and Slack messages it makes (plan), all recorded in one
// transaction. It returns how many events were new.
func (s *Service) Ingest(ctx context.Context, batch []*eventsv1.Event) (int, error) {
	if err := appkit.Deliverer(ctx); err != nil {
		return 0, err
	}
	for i, ev := range batch {
		if ev.GetId() == "" {
			return 0, errs.Invalid("events["+strconv.Itoa(i)+"].id", "required")
		}
		if ev.GetAction() == "" {
			return 0, errs.Invalid("events["+strconv.Itoa(i)+"].action", "required")
		}
	}
	hooks, err := s.store.EnabledWebhooks(ctx)
	if err != nil {
		return 0, err
	}
	now := s.clock()
	msgs, err := s.messages(ctx, batch, now)
	if err != nil {
		return 0, err
	}
	out := make([]store.EventDeliveries, 0, len(batch))
	for _, ev := range batch {
		e := store.EventDeliveries{EventID: ev.GetId(), Messages: msgs[ev.GetId()]}
		if domain.Delivered(ev.GetAction()) {
			var body []byte
			for _, w := range hooks {
				if !w.Matches(ev.GetAction()) {
					continue
				}
				if body == nil {
					if body, err = eventBody(ev); err != nil {
						return 0, err
					}
				}
				e.Deliveries = append(e.Deliveries, s.newDelivery(w.ID, ev.GetId(), ev.GetAction(), ev.GetSubject(), body, now))
			}
		}
		out = append(out, e)
	}
	n, err := s.store.Enqueue(ctx, out)
	if err != nil {
		return 0, err
	}
	s.kick()
	return n, nil
}

// message is the body of a delivery (Standard Webhooks): the event type, the time of the
// change, and data.
type message struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      any    `json:"data"`
}

// eventData is a delivery's data: where the change happened and, under change, what
// changed (the producer's JSON).
type eventData struct {
	EventID       string          `json:"eventId"`
	Service       string          `json:"service"`
	Subject       string          `json:"subject"`
	ActorID       string          `json:"actorId,omitempty"`
	RequestID     string          `json:"requestId,omitempty"`
	TaskID        string          `json:"taskId,omitempty"`
	PolicyID      string          `json:"policyId,omitempty"`
	PolicyVersion string          `json:"policyVersion,omitempty"`
	TraceID       string          `json:"traceId,omitempty"`
	Change        json.RawMessage `json:"change,omitempty"`
}

func eventBody(ev *eventsv1.Event) ([]byte, error) {
	d := eventData{
		EventID: ev.GetId(), Service: ev.GetService(), Subject: ev.GetSubject(), ActorID: ev.GetActorId(),
		RequestID: ev.GetRequestId(), TaskID: ev.GetTaskId(), PolicyID: ev.GetPolicyId(), TraceID: ev.GetTraceId(),
	}
	if v := ev.GetPolicyVersion(); v != 0 {
		d.PolicyVersion = strconv.FormatInt(v, 10)
	}
	change, err := changeJSON(ev)
	if err != nil {
		return nil, err
	}
	d.Change = change
	t := time.Time{}
	if ev.GetTime() != nil {
		t = ev.GetTime().AsTime()
	}
	return encodeBody(ev.GetAction(), t, d)
}

// changeJSON is what changed, as JSON: the proto3 JSON of the event's typed payload
// (nothing when it has none).
func changeJSON(ev *eventsv1.Event) (json.RawMessage, error) {
	raw, err := events.PayloadJSON(ev)
	if err != nil {
		return nil, errs.Invalid("events.payload", err.Error())
	}
	return json.RawMessage(raw), nil
}

func encodeBody(eventType string, at time.Time, data any) ([]byte, error) {
	return json.Marshal(message{Type: eventType, Timestamp: at.UTC().Format(time.RFC3339Nano), Data: data})
}
