package app

import (
	"context"
	"fmt"

	"github.com/grantflow/grantflow/pkg/events"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// Ingest stores a relayed batch: each event id once (ids already stored, or repeated in the
// batch, are acknowledged and skipped), the new ones in the batch's order, numbered and
// chained after the head in one transaction. A bad event refuses the whole batch. It
// returns how many events were new.
func (s *Service) Ingest(ctx context.Context, batch []*eventsv1.Event) (int, error) {
	if err := appkit.Deliverer(ctx); err != nil {
		return 0, err
	}
	events, err := fromProto(batch)
	if err != nil {
		return 0, err
	}
	linkTraces(ctx, batch)

	var head store.Head
	var fresh []domain.Event
	err = s.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if head, err = tx.LockHead(ctx); err != nil {
			return err
		}
		ids := make([]string, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		known, err := tx.KnownIDs(ctx, ids)
		if err != nil {
			return err
		}
		fresh = fresh[:0]
		for _, e := range events {
			if known[e.ID] {
				continue
			}
			known[e.ID] = true
			fresh = append(fresh, e)
		}
		domain.Link(fresh, head.Seq, head.Hash, domain.UTCMicro(s.now()))
		return tx.Insert(ctx, fresh)
	})
	if err != nil {
		return 0, err
	}
	if newHead := head.Seq + int64(len(fresh)); newHead-s.lastCheckpoint.Load() >= s.every {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	return len(fresh), nil
}

// fromProto checks and converts a batch; every bad field is named.
func fromProto(batch []*eventsv1.Event) ([]domain.Event, error) {
	var bad []errs.FieldViolation
	out := make([]domain.Event, len(batch))
	for i, pe := range batch {
		field := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
		if pe.GetId() == "" {
			bad = append(bad, errs.FieldViolation{Field: field("id"), Description: "required"})
		}
		for name, v := range map[string]string{"service": pe.GetService(), "action": pe.GetAction(), "subject": pe.GetSubject()} {
			if v == "" {
				bad = append(bad, errs.FieldViolation{Field: field(name), Description: "required"})
			}
		}
		if pe.GetTime() == nil {
			bad = append(bad, errs.FieldViolation{Field: field("time"), Description: "required"})
		} else if err := pe.GetTime().CheckValid(); err != nil {
			bad = append(bad, errs.FieldViolation{Field: field("time"), Description: err.Error()})
		}
		data, err := payloadJSON(pe)
		if err != nil {
			bad = append(bad, errs.FieldViolation{Field: field("payload"), Description: err.Error()})
		}
		out[i] = domain.Event{
			ID: pe.GetId(), Time: domain.UTCMicro(pe.GetTime().AsTime()), ActorID: pe.GetActorId(), ActorCredential: pe.GetActorCredential(),
			Service: pe.GetService(), Action: pe.GetAction(), Subject: pe.GetSubject(), RequestID: pe.GetRequestId(),
			PolicyID: pe.GetPolicyId(), PolicyVersion: pe.GetPolicyVersion(), TaskID: pe.GetTaskId(), TraceID: pe.GetTraceId(), Data: data,
		}
	}
	if len(bad) > 0 {
		return nil, errs.InvalidFields(bad...)
	}
	return out, nil
}

// payloadJSON returns what an event says changed as audit stores and hashes it: the RFC 8785
// canonical form of its payload's proto3 JSON (nil without a payload).
func payloadJSON(pe *eventsv1.Event) ([]byte, error) {
	raw, err := events.PayloadJSON(pe)
	if err != nil {
		return nil, err
	}
	return domain.CanonicalJSON(raw)
}

// linkTraces links the delivery's span to the trace of each command that produced an
// event, so that a request's trace leads to its audit record.
func linkTraces(ctx context.Context, batch []*eventsv1.Event) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	for _, ev := range batch {
		if ev.GetTraceparent() == "" {
			continue
		}
		carrier := propagation.MapCarrier{"traceparent": ev.GetTraceparent()}
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), carrier))
		if sc.IsValid() {
			span.AddLink(trace.Link{SpanContext: sc})
		}
	}
}
