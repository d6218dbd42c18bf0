package outboxtest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/storetestkit"
)

// Run runs the contract suite. newEngine is called once per test and must return an empty
// engine of the test's own.
func Run(t *testing.T, newEngine func(t *testing.T) Engine) {
	storetestkit.Table(t, newEngine, map[string]func(t *testing.T, e Engine){
		"AppendThenPendingInAppendOrder":                    testAppendOrder,
		"AppendFillsIDAndTimeAndKeepsFields":                testAppendFields,
		"AppendRejectsInvalidInput":                         testAppendInvalid,
		"DuplicateEventIDPerSinkRejected":                   testDuplicateID,
		"RolledBackTransactionLeavesNothing":                testRollback,
		"PendingHonoursLimit":                               testLimit,
		"AckRemovesOnlyAckedEvents":                         testAck,
		"RetractRemovesOneSinksEventWithItsTransaction":     testRetract,
		"SinksAreIndependent":                               testSinks,
		"MarkProcessedDedupes":                              testDedupe,
		"RelayDeliversEverythingOnceInOrderThroughFailures": testRelayFailures,
		"RelayWakesOnNotify":                                testRelayNotify,
		"RelayStopsOnCancel":                                testRelayStops,
	})
}

func testAppendOrder(t *testing.T, e Engine) {
	events := newEvents(6)
	appendEach(t, e, []string{"audit"}, events[:3]...)
	// Several appends in one transaction keep their order too.
	err := e.InTx(t.Context(), func(tx Tx) error {
		for _, ev := range events[3:] {
			if err := tx.Append([]string{"audit"}, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got := pending(t, e, "audit", 100)
	if !slices.Equal(ids(got), ids(events)) {
		t.Errorf("pending ids = %v, want append order %v", ids(got), ids(events))
	}
	checkAscending(t, got)
	// Pending does not consume: asking again gives the same events.
	if again := pending(t, e, "audit", 100); !slices.Equal(ids(again), ids(got)) {
		t.Errorf("second Pending = %v, want %v", ids(again), ids(got))
	}
}

func testAppendFields(t *testing.T, e Engine) {
	bare := newEvent("users/1", 1)
	given := &eventsv1.Event{
		Id: "evt-given", Service: "grantflow-identity", Action: "user.created", Subject: "users/2",
		Time: timestamppb.New(time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)), ActorId: "u1",
		ActorCredential: "key-1", RequestId: "r1", PolicyId: "p1", PolicyVersion: 7, TaskId: "t1",
		Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		TraceId:     "0af7651916cd43dd8448eb211c80319c",
		Payload:     &eventsv1.Event_UserChanged{UserChanged: &eventsv1.UserChanged{UserId: "2", Changed: []string{"email"}}},
	}
	wantGiven := proto.CloneOf(given)
	appendEach(t, e, []string{"audit"}, bare, given)

	if _, err := uuid.Parse(bare.GetId()); err != nil {
		t.Errorf("appended event got id %q, want a UUID: %v", bare.GetId(), err)
	}
	if bare.GetTime() == nil {
		t.Error("appended event got no time")
	}
	if !proto.Equal(given, wantGiven) {
		t.Errorf("append changed an event that had id and time:\n got %v\nwant %v", given, wantGiven)
	}
	got := pending(t, e, "audit", 10)
	if len(got) != 2 {
		t.Fatalf("pending = %d events, want 2", len(got))
	}
	for i, want := range []*eventsv1.Event{bare, given} {
		ev := proto.CloneOf(got[i])
		ev.SourceSeq = 0
		if !proto.Equal(ev, want) {
			t.Errorf("pending[%d] differs from what was appended:\n got %v\nwant %v", i, ev, want)
		}
	}
}

func testAppendInvalid(t *testing.T, e Engine) {
	for _, tc := range []struct {
		name  string
		sinks []string
		ev    *eventsv1.Event
	}{
		{"nil event", []string{"audit"}, nil},
		{"no sinks", nil, newEvent("x/1", 1)},
		{"empty sink", []string{"audit", ""}, newEvent("x/1", 1)},
		{"repeated sink", []string{"audit", "audit"}, newEvent("x/1", 1)},
	} {
		err := e.InTx(t.Context(), func(tx Tx) error { return tx.Append(tc.sinks, tc.ev) })
		if err == nil {
			t.Errorf("%s: append succeeded", tc.name)
		}
	}
	if got := pending(t, e, "audit", 10); len(got) != 0 {
		t.Errorf("invalid appends left %d events", len(got))
	}
}

func testDuplicateID(t *testing.T, e Engine) {
	appendEach(t, e, []string{"audit"}, &eventsv1.Event{Id: "dup", Subject: "x/1"})
	err := e.InTx(t.Context(), func(tx Tx) error {
		return tx.Append([]string{"audit"}, &eventsv1.Event{Id: "dup", Subject: "x/2"})
	})
	if err == nil {
		t.Error("second pending event with the same id in the same sink was accepted")
	}
	// The same id for another sink is another row.
	appendEach(t, e, []string{"request"}, &eventsv1.Event{Id: "dup", Subject: "x/1"})
	if got := pending(t, e, "audit", 10); len(got) != 1 || got[0].GetSubject() != "x/1" {
		t.Errorf("audit pending = %v, want only the first event", got)
	}
}

func testRollback(t *testing.T, e Engine) {
	err := e.InTx(t.Context(), func(tx Tx) error {
		for _, ev := range newEvents(2) {
			if err := tx.Append([]string{"audit", "request"}, ev); err != nil {
				return err
			}
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want the closure's error", err)
	}
	kept := newEvent("things/kept", 0)
	appendEach(t, e, []string{"audit"}, kept)
	if got := pending(t, e, "audit", 10); !slices.Equal(ids(got), []string{kept.Id}) {
		t.Errorf("audit pending = %v, want only the committed %s", ids(got), kept.Id)
	}
	if got := pending(t, e, "request", 10); len(got) != 0 {
		t.Errorf("request pending = %v, want nothing", ids(got))
	}
}

func testLimit(t *testing.T, e Engine) {
	events := newEvents(5)
	appendEach(t, e, []string{"audit"}, events...)
	if got := pending(t, e, "audit", 2); !slices.Equal(ids(got), ids(events[:2])) {
		t.Errorf("Pending(limit 2) = %v, want the oldest two %v", ids(got), ids(events[:2]))
	}
	for _, limit := range []int{0, -1} {
		if _, err := e.Store.Pending(t.Context(), "audit", limit); err == nil {
			t.Errorf("Pending(limit %d) succeeded", limit)
		}
	}
}

func testRetract(t *testing.T, e Engine) {
	events := newEvents(3)
	appendEach(t, e, []string{"work", "audit"}, events...)
	// A rolled-back retraction retracts nothing.
	err := e.InTx(t.Context(), func(tx Tx) error {
		if err := tx.Retract("work", events[1].Id); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v, want the closure's error", err)
	}
	if got := pending(t, e, "work", 10); !slices.Equal(ids(got), ids(events)) {
		t.Fatalf("after a rolled-back retraction: pending = %v, want %v", ids(got), ids(events))
	}
	// A committed one removes that event of that sink only; an unknown id is no error.
	err = e.InTx(t.Context(), func(tx Tx) error {
		if err := tx.Retract("work", events[1].Id); err != nil {
			return err
		}
		return tx.Retract("work", "never-appended")
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(pending(t, e, "work", 10)), []string{events[0].Id, events[2].Id}; !slices.Equal(got, want) {
		t.Errorf("work pending = %v, want %v", got, want)
	}
	if got := pending(t, e, "audit", 10); !slices.Equal(ids(got), ids(events)) {
		t.Errorf("audit pending = %v, want all of %v", ids(got), ids(events))
	}
}

func testAck(t *testing.T, e Engine) {
	// An outbox that never held anything accepts acks of events it does not have.
	if err := e.Store.Ack(t.Context(), "audit", []*eventsv1.Event{{Id: "x", SourceSeq: 1}}); err != nil {
		t.Fatalf("Ack on an empty outbox: %v", err)
	}
	events := newEvents(5)
	appendEach(t, e, []string{"audit"}, events...)
	got := pending(t, e, "audit", 10)
	if err := e.Store.Ack(t.Context(), "audit", []*eventsv1.Event{got[1], got[3]}); err != nil {
		t.Fatal(err)
	}
	want := []string{events[0].Id, events[2].Id, events[4].Id}
	if left := pending(t, e, "audit", 10); !slices.Equal(ids(left), want) {
		t.Errorf("after ack of 1 and 3: pending = %v, want %v", ids(left), want)
	}
	// Acking nothing, or again, changes nothing.
	for _, batch := range [][]*eventsv1.Event{nil, {got[1]}} {
		if err := e.Store.Ack(t.Context(), "audit", batch); err != nil {
			t.Errorf("Ack(%v): %v", ids(batch), err)
		}
	}
	if left := pending(t, e, "audit", 10); !slices.Equal(ids(left), want) {
		t.Errorf("after empty and repeated acks: pending = %v, want %v", ids(left), want)
	}
}

func testSinks(t *testing.T, e Engine) {
	both, requestOnly := newEvent("things/1", 1), newEvent("things/2", 2)
	appendEach(t, e, []string{"audit", "request"}, both)
	appendEach(t, e, []string{"request"}, requestOnly)

	audit := pending(t, e, "audit", 10)
	if !slices.Equal(ids(audit), []string{both.Id}) {
		t.Fatalf("audit pending = %v, want [%s]", ids(audit), both.Id)
	}
	if err := e.Store.Ack(t.Context(), "audit", audit); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, e, "audit", 10); len(got) != 0 {
		t.Errorf("audit pending after ack = %v", ids(got))
	}
	if got := pending(t, e, "request", 10); !slices.Equal(ids(got), []string{both.Id, requestOnly.Id}) {
		t.Errorf("request pending = %v after acking audit, want both events", ids(got))
	}
	if got := pending(t, e, "nobody", 10); len(got) != 0 {
		t.Errorf("unknown sink has %v", ids(got))
	}
}

func testDedupe(t *testing.T, e Engine) {
	mark := func(ids ...string) (fresh []bool, err error) {
		err = e.InTx(t.Context(), func(tx Tx) error {
			for _, id := range ids {
				isNew, err := tx.MarkProcessed(id)
				if err != nil {
					return err
				}
				fresh = append(fresh, isNew)
			}
			return nil
		})
		return fresh, err
	}
	check := func(what string, got, want []bool, err error) {
		t.Helper()
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: isNew = %v (%v), want %v", what, got, err, want)
		}
	}
	got, err := mark("e1")
	check("first time", got, []bool{true}, err)
	got, err = mark("e1", "e2", "e2")
	check("seen, new, same again in one tx", got, []bool{false, true, false}, err)

	err = e.InTx(t.Context(), func(tx Tx) error {
		if _, err := tx.MarkProcessed("e3"); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("InTx = %v", err)
	}
	got, err = mark("e3")
	check("after a rolled-back mark", got, []bool{true}, err)
}

func testRelayFailures(t *testing.T, e Engine) {
	events := newEvents(23)
	appendEach(t, e, []string{"audit"}, events...)
	other := newEvent("things/other", 0)
	appendEach(t, e, []string{"request"}, other)

	// The sink refuses the first two calls, and twice more the batch holding event 10: the
	// relay must retry that batch rather than go on past it.
	refusedLate := 0
	sink := newRecorder(func(call int, batch []*eventsv1.Event) bool {
		if call <= 2 {
			return true
		}
		if slices.ContainsFunc(batch, func(ev *eventsv1.Event) bool { return ev.Id == events[10].Id }) && refusedLate < 2 {
			refusedLate++
			return true
		}
		return false
	})
	relay := newRelay(t, e, outbox.RelayOptions{
		Name: "audit", Sink: sink, BatchSize: 4,
		PollInterval: time.Hour, // work must not depend on polling
		MaxBackoff:   time.Millisecond,
	})
	stop := Start(t, relay)
	eventually(t, "the sink to get every event", func() bool { return sink.count() >= len(events) })
	eventually(t, "the delivered events to be acked", func() bool { return len(pending(t, e, "audit", 100)) == 0 })
	stop()

	if got := sink.ids(); !slices.Equal(got, ids(events)) {
		t.Errorf("sink got %v,\nwant each event once in order %v", got, ids(events))
	}
	if st := relay.Stats(); st.Delivered != uint64(len(events)) || st.Failures != 4 {
		t.Errorf("stats = %+v, want Delivered %d and Failures 4", st, len(events))
	}
	if got := pending(t, e, "request", 10); !slices.Equal(ids(got), []string{other.Id}) {
		t.Errorf("request sink pending = %v, want untouched [%s]", ids(got), other.Id)
	}
}

func testRelayNotify(t *testing.T, e Engine) {
	store := idleStore{Store: e.Store, idle: make(chan struct{}, 1)}
	sink := newRecorder(nil)
	relay := newRelay(t, e, outbox.RelayOptions{Name: "audit", Store: store, Sink: sink, PollInterval: time.Hour})
	Start(t, relay)

	for round := 1; round <= 2; round++ {
		receive(t, "the relay to find less than a batch (and go idle after it)", store.idle)
		appendEach(t, e, []string{"audit"}, newEvent("things/1", round))
		relay.Notify()
		eventually(t, "delivery after Notify", func() bool { return sink.count() == round })
	}
}

func testRelayStops(t *testing.T, e Engine) {
	t.Run("idle", func(t *testing.T) {
		store := idleStore{Store: e.Store, idle: make(chan struct{}, 1)}
		relay := newRelay(t, e, outbox.RelayOptions{Name: "idle", Store: store, Sink: newRecorder(nil), PollInterval: time.Hour})
		stop := Start(t, relay)
		receive(t, "the relay to go idle", store.idle)
		stop()
	})
	t.Run("backing off", func(t *testing.T) {
		appendEach(t, e, []string{"down"}, newEvent("things/1", 1))
		sink := newRecorder(func(int, []*eventsv1.Event) bool { return true })
		relay := newRelay(t, e, outbox.RelayOptions{Name: "down", Sink: sink, MaxBackoff: time.Hour})
		stop := Start(t, relay)
		receive(t, "a failed delivery", sink.changed)
		stop()
		if got := pending(t, e, "down", 10); len(got) != 1 {
			t.Errorf("undelivered event was removed: pending = %v", ids(got))
		}
	})
	t.Run("in delivery", func(t *testing.T) {
		appendEach(t, e, []string{"slow"}, newEvent("things/1", 1))
		entered := make(chan struct{})
		sink := outbox.SinkFunc(func(ctx context.Context, _ []*eventsv1.Event) error {
			close(entered)
			<-ctx.Done()
			return ctx.Err()
		})
		relay := newRelay(t, e, outbox.RelayOptions{Name: "slow", Sink: sink})
		stop := Start(t, relay)
		receive(t, "the delivery to start", entered)
		stop()
		if got := pending(t, e, "slow", 10); len(got) != 1 {
			t.Errorf("interrupted delivery was acked: pending = %v", ids(got))
		}
	})
}
