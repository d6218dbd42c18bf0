package storetest

import (
	"context"
	"testing"

	"google.golang.org/protobuf/proto"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func eventIDs(events []*eventsv1.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = ev.GetId()
	}
	return out
}

func newEvent(id string) *eventsv1.Event {
	return &eventsv1.Event{Id: id, Service: "grantflow-identity", Action: "user.updated", Subject: "users/" + id,
		Payload: &eventsv1.Event_UserChanged{UserChanged: &eventsv1.UserChanged{UserId: id}}}
}

func testEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	unnamed := &eventsv1.Event{Action: "user.created"}
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateUser(ctx, newUser("u1", "")); err != nil {
			return err
		}
		for _, emit := range []struct {
			sinks []string
			ev    *eventsv1.Event
		}{
			{[]string{"audit"}, newEvent("e1")},
			{[]string{"audit", "request"}, newEvent("e2")},
			{[]string{"audit"}, newEvent("e3")},
			{[]string{"audit"}, unnamed},
		} {
			if err := tx.Emit(ctx, emit.sinks, emit.ev); err != nil {
				return err
			}
		}
		// Nothing is pending before the commit.
		for _, sink := range []string{"audit", "request"} {
			if got := storetestkit.Must(s.Pending(ctx, sink, 10))(t); len(got) != 0 {
				t.Errorf("Pending(%s) before commit = %v, want none", sink, eventIDs(got))
			}
		}
		return nil
	})
	if unnamed.Id == "" {
		t.Fatal("Emit left the event without an id")
	}

	audit := storetestkit.Must(s.Pending(ctx, "audit", 10))(t)
	storetestkit.Check(t, "Pending(audit)", eventIDs(audit), []string{"e1", "e2", "e3", unnamed.Id})
	storetestkit.Check(t, "Pending(request)", eventIDs(storetestkit.Must(s.Pending(ctx, "request", 10))(t)), []string{"e2"})
	if got, want := audit[1], newEvent("e2"); got.GetAction() != want.Action || got.GetSubject() != want.Subject || !proto.Equal(got.GetUserChanged(), want.GetUserChanged()) {
		t.Errorf("Pending(audit)[1] = %v, want the fields of %v", got, want)
	}
	for i := 1; i < len(audit); i++ {
		if audit[i].GetSourceSeq() <= audit[i-1].GetSourceSeq() {
			t.Errorf("SourceSeq not ascending: %d then %d", audit[i-1].GetSourceSeq(), audit[i].GetSourceSeq())
		}
	}

	// A later transaction's events come after.
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		if err := tx.Emit(ctx, []string{"audit"}, newEvent("e4")); err != nil {
			return err
		}
		return tx.Emit(ctx, []string{"audit"}, newEvent("e5"))
	})
	storetestkit.Check(t, "Pending(audit, 10)", eventIDs(storetestkit.Must(s.Pending(ctx, "audit", 10))(t)), []string{"e1", "e2", "e3", unnamed.Id, "e4", "e5"})
	first := storetestkit.Must(s.Pending(ctx, "audit", 2))(t)
	storetestkit.Check(t, "Pending(audit, 2)", eventIDs(first), []string{"e1", "e2"})

	// Ack removes exactly the acknowledged events, of that sink only.
	if err := s.Ack(ctx, "audit", first); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	storetestkit.Check(t, "Pending(audit) after Ack", eventIDs(storetestkit.Must(s.Pending(ctx, "audit", 10))(t)), []string{"e3", unnamed.Id, "e4", "e5"})
	request := storetestkit.Must(s.Pending(ctx, "request", 10))(t)
	storetestkit.Check(t, "Pending(request) after Ack of audit", eventIDs(request), []string{"e2"})
	if err := s.Ack(ctx, "request", request); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	storetestkit.Check(t, "Pending(request) after its Ack", eventIDs(storetestkit.Must(s.Pending(ctx, "request", 10))(t)), []string{})
}
