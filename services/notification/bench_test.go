package notification_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/services/notification"
)

// BenchmarkFanOut measures webhook fan-out to a local receiver with 10 subscriptions: each
// event b.N makes 10 deliveries, each POSTed, signed, to the receiver and recorded. The
// deliveries/s metric is the target (at least 1,000); it is reported, not asserted.
// The memory engine; the in-process gRPC hop of the event sink is left out (Ingest is
// called directly) to measure the fan-out and the dispatcher.
func BenchmarkFanOut(b *testing.B) {
	const subs = 10
	want := int64(b.N * subs)
	var got atomic.Int64
	all := make(chan struct{}) // closed at the last delivery wanted
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if got.Add(1) == want {
			close(all)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	svc, err := notification.New(context.Background(), notification.Options{Settings: kit.Settings{Logger: slog.New(slog.DiscardHandler)}, AllowPrivate: true, Poll: 10 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	a := notification.App(svc)
	ctx := auth.WithPrincipal(context.Background(), people["admin-key"])
	for range subs {
		if _, _, err := a.CreateWebhook(ctx, rcv.URL, nil, "bench"); err != nil {
			b.Fatal(err)
		}
	}
	stop := running(svc)
	defer stop()
	sys := internalCaller()
	const batch = 100
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i += batch {
		n := min(batch, b.N-i)
		events := make([]*eventsv1.Event, n)
		for j := range events {
			id := fmt.Sprintf("b%d-%d", i, j)
			events[j] = &eventsv1.Event{Id: id, Service: "grantflow-request", Action: "request.created",
				Subject: "requests/" + id, Time: timestamppb.Now(), Payload: &eventsv1.Event_RequestChanged{RequestChanged: &eventsv1.RequestChanged{Status: "IN_PROGRESS"}}}
		}
		if _, err := a.Ingest(sys, events); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d deliveries after 5 minutes", got.Load(), want)
	}
	b.StopTimer()
	b.ReportMetric(float64(want)/time.Since(start).Seconds(), "deliveries/s")
}

// BenchmarkMessages measures email and Slack messages: each event b.N opens a task for 5
// people, each of whom gets an email (to an SMTP server of the benchmark, STARTTLS and
// AUTH, one connection per message) and a Slack message (a local fake of its Web API: three
// calls each). The memory engine; Ingest is called directly.
func BenchmarkMessages(b *testing.B) {
	m := newMessaging(b)
	o := notification.Options{Settings: kit.Settings{Logger: slog.New(slog.DiscardHandler)}, Poll: 10 * time.Millisecond}
	m.apply(&o)
	svc, err := notification.New(context.Background(), o)
	if err != nil {
		b.Fatal(err)
	}
	defer svc.Close()
	a := notification.App(svc)
	stop := running(svc)
	defer stop()
	sys := internalCaller()
	people := []string{"uma", "mona", "ulf", "admin", "otto"} // otto: email only (no Slack user)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		ev := taskEvent(fmt.Sprintf("b%d", i), "task.created", "PENDING", people, nil)
		if _, err := a.Ingest(sys, []*eventsv1.Event{ev}); err != nil {
			b.Fatal(err)
		}
	}
	wantMail, wantSlack := b.N*len(people), b.N*(len(people)-1)
	deadline := time.Now().Add(5 * time.Minute)
	for len(m.smtp.Mails()) < wantMail || len(m.slack.Posts()) < wantSlack {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d emails, %d of %d Slack messages after 5 minutes", len(m.smtp.Mails()), wantMail, len(m.slack.Posts()), wantSlack)
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(wantMail+wantSlack)/time.Since(start).Seconds(), "messages/s")
}

// running runs svc's dispatchers until the returned stop is called (and returns when they
// have).
func running(svc *notification.Service) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.Run(ctx) }()
	return func() { cancel(); <-done }
}

// internalCaller is a context calling as another Grantflow service does.
func internalCaller() context.Context {
	system := auth.System()
	system.Internal = true
	return auth.WithPrincipal(context.Background(), system)
}
