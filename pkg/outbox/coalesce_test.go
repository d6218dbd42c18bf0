package outbox_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
)

// member is one producer's sink in a coalescer's rounds: it records the calls it sent
// (the ids of each), and fails those that carry an id in fail.
type member struct {
	mu    sync.Mutex
	calls [][]string
	fail  string
	hold  chan struct{} // when set, each call waits for it
}

func (m *member) DeliverEvents(_ context.Context, events []*eventsv1.Event) error {
	if m.hold != nil {
		<-m.hold
	}
	ids := make([]string, len(events))
	for i, e := range events {
		ids[i] = e.GetId()
	}
	m.mu.Lock()
	m.calls = append(m.calls, ids)
	m.mu.Unlock()
	if m.fail != "" && slices.Contains(ids, m.fail) {
		return errors.New("refused " + m.fail)
	}
	return nil
}

func (m *member) sent() [][]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.calls)
}

func evs(ids ...string) []*eventsv1.Event {
	out := make([]*eventsv1.Event, len(ids))
	for i, id := range ids {
		out[i] = &eventsv1.Event{Id: id}
	}
	return out
}

// until waits until cond holds of how many deliveries wait in c's queue, looking again
// each time the queue changes, bounded by a deadline that only stops a hang. It may run on
// any goroutine (the rounds' wait): it fails t with Error, and reports whether cond held.
func until(t *testing.T, c *outbox.Coalescer, what string, cond func(queued int) bool) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !outbox.AwaitCoalescerQueue(ctx, c, cond) {
		t.Errorf("timed out waiting for %s", what)
		return false
	}
	return true
}

// queued is the condition of n deliveries in the queue.
func queued(n int) func(int) bool { return func(q int) bool { return q == n } }

// deliverAll starts a delivery of each (sink, ids) pair in order, each once the earlier
// ones are queued (the leader's wait holds them there until the last one is), and returns
// their outcomes once all returned.
func deliverAll(t *testing.T, c *outbox.Coalescer, sinks []outbox.Sink, batches [][]string) []error {
	t.Helper()
	errs := make([]error, len(sinks))
	var wg sync.WaitGroup
	for i := range sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = sinks[i].DeliverEvents(context.Background(), evs(batches[i]...))
		}()
		if i < len(sinks)-1 && !until(t, c, "the delivery queued", queued(i+1)) {
			return errs
		}
	}
	wg.Wait()
	return errs
}

// The deliveries that come while the first waits the window go out as one call, through
// the first one's sink, in the order they came; each caller gets the outcome.
func TestCoalescerSharesARound(t *testing.T) {
	c := outbox.NewCoalescer(time.Hour)
	a, b, d := &member{}, &member{}, &member{}
	sa, sb, sd := c.Sink(a), c.Sink(b), c.Sink(d)
	waits := 0
	outbox.SetCoalescerWait(c, func(context.Context) {
		waits++
		until(t, c, "the others queued", queued(3))
	})
	errs := deliverAll(t, c, []outbox.Sink{sa, sb, sd}, [][]string{{"a1", "a2"}, {"b1"}, {"d1", "d2"}})
	for i, err := range errs {
		if err != nil {
			t.Errorf("delivery %d: %v", i, err)
		}
	}
	if got, want := a.sent(), [][]string{{"a1", "a2", "b1", "d1", "d2"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("the leader's sink sent %v, want %v", got, want)
	}
	if len(b.sent()) != 0 || len(d.sent()) != 0 {
		t.Errorf("the others' sinks sent %v and %v, want nothing", b.sent(), d.sent())
	}
	if waits != 1 {
		t.Errorf("the round waited %d times, want once", waits)
	}
}

// A round that fails is sent again member by member: one producer's refused event holds
// back only that producer's delivery.
func TestCoalescerFailedRoundGoesMemberByMember(t *testing.T) {
	c := outbox.NewCoalescer(time.Hour)
	a, b, d := &member{fail: "b1"}, &member{fail: "b1"}, &member{fail: "b1"}
	sa, sb, sd := c.Sink(a), c.Sink(b), c.Sink(d)
	outbox.SetCoalescerWait(c, func(context.Context) {
		until(t, c, "the others queued", queued(3))
	})
	errs := deliverAll(t, c, []outbox.Sink{sa, sb, sd}, [][]string{{"a1"}, {"b1"}, {"d1"}})
	if errs[0] != nil || errs[1] == nil || errs[2] != nil {
		t.Fatalf("outcomes %v: want only the refused event's delivery to fail", errs)
	}
	if got, want := a.sent(), [][]string{{"a1", "b1", "d1"}, {"a1"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("the leader's sink sent %v, want the round, then its own alone: %v", got, want)
	}
	if got := b.sent(); len(got) != 1 || !slices.Equal(got[0], []string{"b1"}) {
		t.Errorf("the refused producer's sink sent %v, want its own alone", got)
	}
	if got := d.sent(); len(got) != 1 || !slices.Equal(got[0], []string{"d1"}) {
		t.Errorf("the third producer's sink sent %v, want its own alone", got)
	}
}

// A delivery that comes while a round is being sent leads the next round as soon as that
// one returns, through its own sink, without waiting the window again.
func TestCoalescerHandsTheLeadOn(t *testing.T) {
	c := outbox.NewCoalescer(time.Hour)
	a, b := &member{hold: make(chan struct{})}, &member{}
	sa, sb := c.Sink(a), c.Sink(b)
	var waits atomic.Int32
	outbox.SetCoalescerWait(c, func(context.Context) { waits.Add(1) })
	done := make(chan error, 2)
	go func() { done <- sa.DeliverEvents(context.Background(), evs("a1")) }()
	// a's round is in its sink (held): the queue is empty again, and b comes.
	if !until(t, c, "the first round sent", func(q int) bool { return waits.Load() == 1 && q == 0 }) {
		t.FailNow()
	}
	go func() { done <- sb.DeliverEvents(context.Background(), evs("b1")) }()
	if !until(t, c, "the second delivery queued", queued(1)) {
		t.FailNow()
	}
	close(a.hold)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := a.sent(); len(got) != 1 || !slices.Equal(got[0], []string{"a1"}) {
		t.Errorf("the first sink sent %v, want its own round", got)
	}
	if got := b.sent(); len(got) != 1 || !slices.Equal(got[0], []string{"b1"}) {
		t.Errorf("the second sink sent %v, want the round it led", got)
	}
	if n := waits.Load(); n != 1 {
		t.Errorf("the rounds waited %d times, want once (the second round's delivery had waited already)", n)
	}
}

// A coalescer of one member (a service's own binary) sends every delivery at once, through
// that member's sink.
func TestCoalescerOfOneMemberDoesNotWait(t *testing.T) {
	c := outbox.NewCoalescer(time.Hour)
	a := &member{}
	sa := c.Sink(a)
	outbox.SetCoalescerWait(c, func(context.Context) { t.Error("a lone member waited for a round") })
	if err := sa.DeliverEvents(context.Background(), evs("a1")); err != nil {
		t.Fatal(err)
	}
	if got := a.sent(); len(got) != 1 {
		t.Fatalf("sent %v", got)
	}
}

// A round carries at most MaxDeliveryEvents events; the rest go in the next round.
func TestCoalescerCapsARound(t *testing.T) {
	c := outbox.NewCoalescer(time.Hour)
	a, b := &member{}, &member{}
	sa, sb := c.Sink(a), c.Sink(b)
	outbox.SetCoalescerWait(c, func(context.Context) {
		until(t, c, "the other queued", queued(2))
	})
	big := func(prefix string) []string {
		ids := make([]string, outbox.MaxDeliveryEvents/2+1)
		for i := range ids {
			ids[i] = prefix
		}
		return ids
	}
	for i, err := range deliverAll(t, c, []outbox.Sink{sa, sb}, [][]string{big("a"), big("b")}) {
		if err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	if len(a.sent()) != 1 || len(a.sent()[0]) != outbox.MaxDeliveryEvents/2+1 || len(b.sent()) != 1 {
		t.Errorf("calls of %v and %v events, want each member's alone", len(a.sent()), len(b.sent()))
	}
}
