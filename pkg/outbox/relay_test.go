package outbox_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/outbox/outboxtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

var quiet = slog.New(slog.DiscardHandler)

func TestNewRelayValidatesAndDefaults(t *testing.T) {
	var mem outbox.Memory
	sink := outbox.SinkFunc(func(context.Context, []*eventsv1.Event) error { return nil })
	for _, tc := range []struct {
		name string
		opts outbox.RelayOptions
	}{
		{"no name", outbox.RelayOptions{Store: &mem, Sink: sink}},
		{"no store", outbox.RelayOptions{Name: "a", Sink: sink}},
		{"no sink", outbox.RelayOptions{Name: "a", Store: &mem}},
		{"negative batch", outbox.RelayOptions{Name: "a", Store: &mem, Sink: sink, BatchSize: -1}},
		{"negative poll", outbox.RelayOptions{Name: "a", Store: &mem, Sink: sink, PollInterval: -1}},
	} {
		if _, err := outbox.NewRelay(tc.opts); err == nil {
			t.Errorf("%s: NewRelay succeeded", tc.name)
		}
	}
	if _, err := outbox.NewRelay(outbox.RelayOptions{Name: "a", Store: &mem, Sink: sink}); err != nil {
		t.Errorf("minimal options rejected: %v", err)
	}
}

// eventually waits until cond holds, bounded by a deadline that only stops a hang.
var eventually = servicetest.Eventually

func TestNotifyNeverBlocks(t *testing.T) {
	var mem outbox.Memory
	r, err := outbox.NewRelay(outbox.RelayOptions{Name: "a", Store: &mem, Sink: outbox.SinkFunc(
		func(context.Context, []*eventsv1.Event) error { return nil })})
	if err != nil {
		t.Fatal(err)
	}
	for range 1000 {
		r.Notify() // nobody runs the relay: must not block
	}
}

func TestRunRefusesASecondConcurrentRun(t *testing.T) {
	var mem outbox.Memory
	idle := make(chan struct{}, 1)
	store := notifyingStore{Store: &mem, onEmpty: idle}
	r, _ := outbox.NewRelay(outbox.RelayOptions{Name: "a", Store: store, PollInterval: time.Hour, Logger: quiet,
		Sink: outbox.SinkFunc(func(context.Context, []*eventsv1.Event) error { return nil })})
	outboxtest.Start(t, r)
	<-idle // the first Run is in its loop
	if err := r.Run(t.Context()); err == nil {
		t.Error("second concurrent Run returned nil")
	}
}

// notifyingStore signals when the relay finds nothing pending.
type notifyingStore struct {
	outbox.Store
	onEmpty chan struct{}
}

func (s notifyingStore) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	evs, err := s.Store.Pending(ctx, sink, limit)
	if err == nil && len(evs) == 0 {
		select {
		case s.onEmpty <- struct{}{}:
		default:
		}
	}
	return evs, err
}

// flakyStore fails the first reads and acks it is told to.
type flakyStore struct {
	outbox.Store
	mu                  sync.Mutex
	failReads, failAcks int
	reads               atomic.Int32
}

func (s *flakyStore) Pending(ctx context.Context, sink string, limit int) ([]*eventsv1.Event, error) {
	s.reads.Add(1)
	s.mu.Lock()
	fail := s.failReads > 0
	s.failReads--
	s.mu.Unlock()
	if fail {
		return nil, errors.New("store unavailable")
	}
	return s.Store.Pending(ctx, sink, limit)
}

func (s *flakyStore) Ack(ctx context.Context, sink string, events []*eventsv1.Event) error {
	s.mu.Lock()
	fail := s.failAcks > 0
	s.failAcks--
	s.mu.Unlock()
	if fail {
		return errors.New("ack lost")
	}
	return s.Store.Ack(ctx, sink, events)
}

// collector is a sink that records delivered ids.
type collector struct {
	mu  sync.Mutex
	ids []string
}

func (c *collector) DeliverEvents(_ context.Context, events []*eventsv1.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range events {
		c.ids = append(c.ids, ev.Id)
	}
	return nil
}

func (c *collector) got() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ids)
}

func TestRelayRetriesStoreFailuresAndRedeliversUnackedBatch(t *testing.T) {
	var mem outbox.Memory
	for _, id := range []string{"a", "b", "c"} {
		if err := mem.Append([]string{"audit"}, &eventsv1.Event{Id: id}); err != nil {
			t.Fatal(err)
		}
	}
	store := &flakyStore{Store: &mem, failReads: 2, failAcks: 1}
	sink := &collector{}
	r, _ := outbox.NewRelay(outbox.RelayOptions{Name: "audit", Store: store, Sink: sink,
		PollInterval: time.Hour, MaxBackoff: time.Millisecond, Logger: quiet})
	stop := outboxtest.Start(t, r)
	eventually(t, "the outbox to drain", func() bool {
		evs, _ := mem.Pending(t.Context(), "audit", 10)
		return len(evs) == 0
	})
	stop()

	// The first ack was lost, so the batch went out twice: at least once, never less.
	if got, want := sink.got(), []string{"a", "b", "c", "a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("sink got %v, want %v", got, want)
	}
	if st := r.Stats(); st.Failures != 3 || st.Delivered != 6 {
		t.Errorf("stats = %+v, want 3 failures (2 reads, 1 ack) and 6 delivered", st)
	}
}

// leasedStore is a Memory outbox that is a Leaser: PendingIn records the partitions it is
// asked for and reads the whole outbox; Lease hands out the partitions sent on grants.
type leasedStore struct {
	*outbox.Memory
	grants chan []int
	mu     sync.Mutex
	asked  [][]int
}

func (s *leasedStore) PendingIn(ctx context.Context, sink string, parts []int, limit int) ([]*eventsv1.Event, error) {
	s.mu.Lock()
	s.asked = append(s.asked, slices.Clone(parts))
	s.mu.Unlock()
	return s.Pending(ctx, sink, limit)
}

func (s *leasedStore) Lease(ctx context.Context, _ *slog.Logger, sinks []string, owned func(string, []int)) {
	for {
		select {
		case <-ctx.Done():
			return
		case parts := <-s.grants:
			for _, sink := range sinks {
				owned(sink, parts)
			}
		}
	}
}

func (s *leasedStore) askedFor() [][]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked)
}

// A partitioned relay reads nothing while it leases no partition, and then only the
// partitions it leases; a lease it gets wakes it (no poll needed).
func TestPartitionedRelayReadsOnlyItsLeasedPartitions(t *testing.T) {
	mem := &outbox.Memory{}
	if err := mem.Append([]string{"audit"}, &eventsv1.Event{Id: "a"}); err != nil {
		t.Fatal(err)
	}
	store := &leasedStore{Memory: mem, grants: make(chan []int)}
	sink := &collector{}
	rs, err := outbox.NewRelays("grantflow-test", store, quiet, outbox.Target{Name: "audit", Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); rs.Run(ctx) }()
	defer func() { cancel(); <-done }()

	store.grants <- nil // Lease runs; the relay has stepped at least once by now, or soon
	if got := store.askedFor(); len(got) != 0 {
		t.Fatalf("relay read partitions %v while it leased none", got)
	}
	store.grants <- []int{1, 3}
	eventually(t, "delivery once partitions are leased", func() bool { return len(sink.got()) == 1 })
	for _, parts := range store.askedFor() {
		if !slices.Equal(parts, []int{1, 3}) {
			t.Errorf("relay read partitions %v, want its lease [1 3]", parts)
		}
	}
}

func TestPartitionsNeedALeaser(t *testing.T) {
	_, err := outbox.NewRelay(outbox.RelayOptions{Name: "audit", Store: &outbox.Memory{}, Sink: &collector{},
		Partitions: func() []int { return nil }})
	if err == nil {
		t.Fatal("a relay with Partitions on a store that is no Leaser was made")
	}
}

// fakeSinkClient stands in for the generated gRPC client.
type fakeSinkClient struct {
	got *eventsv1.DeliverEventsRequest
	err error
}

func (c *fakeSinkClient) DeliverEvents(_ context.Context, in *eventsv1.DeliverEventsRequest, _ ...grpc.CallOption) (*eventsv1.DeliverEventsResponse, error) {
	c.got = in
	if c.err != nil {
		return nil, c.err
	}
	return &eventsv1.DeliverEventsResponse{Accepted: int32(len(in.Events))}, nil
}

func TestGRPCSinkSendsTheBatchAndReturnsTheError(t *testing.T) {
	client := &fakeSinkClient{}
	sink := outbox.GRPCSink(client, "audit")
	batch := []*eventsv1.Event{{Id: "a"}, {Id: "b"}}
	if err := sink.DeliverEvents(t.Context(), batch); err != nil {
		t.Fatal(err)
	}
	if client.got == nil || len(client.got.Events) != 2 || client.got.Events[1] != batch[1] {
		t.Errorf("request = %v, want the batch", client.got)
	}
	client.err = errors.New("unavailable")
	if err := sink.DeliverEvents(t.Context(), batch); !errors.Is(err, client.err) {
		t.Errorf("error = %v, want the client's", err)
	}
}
