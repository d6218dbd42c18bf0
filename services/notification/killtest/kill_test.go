package killtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/proctest"
	"github.com/grantflow/grantflow/pkg/testenv"
)

const (
	kills    = 10
	hooks    = 3
	events   = 1500
	batch    = 10
	subjects = 25
)

// receiver records, per subscription (its path), the event ids answered 2xx in the order
// they first arrived.
type receiver struct {
	mu    sync.Mutex
	first map[string][]string        // path -> event ids, first success order
	seen  map[string]map[string]bool // path -> event id -> succeeded
	hits  atomic.Int64
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	_, _ = io.Copy(io.Discard, req.Body)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	if !r.seen[req.URL.Path][id] {
		r.seen[req.URL.Path][id] = true
		r.first[req.URL.Path] = append(r.first[req.URL.Path], id)
	}
	r.mu.Unlock()
	r.hits.Add(1)
	w.WriteHeader(http.StatusNoContent)
}

func (r *receiver) delivered() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ids := range r.first {
		n += len(ids)
	}
	return n
}

// TestNoDeliveryLostWhenKilled kill -9s the notification process ten times while a relay
// delivers a burst of events to it: every event reaches every subscription, and each
// subject's events first succeed in event order.
func TestNoDeliveryLostWhenKilled(t *testing.T) {
	testenv.Integration(t)
	dbURL := pgtest.NewEmptyDatabase(t)
	bins := proctest.Binaries(t, proctest.ServiceCmd("notification"))
	addr, secret := proctest.FreeAddr(t), proctest.RandomHex(32)
	proc := proctest.New(t, "notification", bins["notification"], proctest.BaseEnv(
		"GRANTFLOW_INTERNAL_SECRET="+secret,
		"GRANTFLOW_LOG_LEVEL=warn",
		"GRANTFLOW_GRPC_ADDR="+addr,
		"GRANTFLOW_POSTGRES_URL="+dbURL,
		proctest.SecretsKeyEnv(),
		"GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1",
		// A killed attempt's delivery is taken over when its lease ends.
		"GRANTFLOW_WEBHOOK_LEASE=2s",
	))
	proc.MustRun("migrate")
	proc.Start()

	rcv := &receiver{first: map[string][]string{}, seen: map[string]map[string]bool{}}
	srv := httptest.NewServer(rcv)
	defer srv.Close()

	signer, err := auth.NewSigner([]byte(secret), "killtest")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(auth.UnaryClientInterceptor(signer)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pub, sink := notificationv1.NewWebhookServiceClient(conn), eventsv1.NewEventSinkServiceClient(conn)
	admin := auth.WithPrincipal(context.Background(), auth.Principal{UserID: "killtest-admin", Role: identityv1.Role_ADMIN, CredentialID: "killtest"})
	for i := range hooks {
		path := fmt.Sprintf("/hook-%d", i)
		rcv.seen[path] = map[string]bool{}
		proctest.Poll(t, 60*time.Second, "the service to take a subscription", func() (bool, string) {
			proc.CheckAlive()
			_, err := pub.CreateWebhook(admin, &notificationv1.CreateWebhookRequest{Url: srv.URL + path})
			return err == nil, fmt.Sprint(err)
		})
	}

	// The relay: batches in order, each sent again until accepted (as pkg/outbox does).
	var sent atomic.Int64
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		ctx := auth.WithPrincipal(context.Background(), auth.System())
		for i := 0; i < events; i += batch {
			var evs []*eventsv1.Event
			for j := i; j < i+batch; j++ {
				evs = append(evs, &eventsv1.Event{Id: fmt.Sprintf("ev-%05d", j), Service: "grantflow-request",
					Action: "request.created", Subject: fmt.Sprintf("requests/%02d", j%subjects), Time: timestamppb.Now()})
			}
			for {
				cctx, cancel := context.WithTimeout(ctx, 30*time.Second) // bounds a hang only: a failed call is tried again
				_, err := sink.DeliverEvents(cctx, &eventsv1.DeliverEventsRequest{Events: evs})
				cancel()
				if err == nil {
					break
				}
				if t.Failed() {
					return
				}
				time.Sleep(20 * time.Millisecond) // the relay's backoff, shortened
			}
			sent.Add(int64(len(evs)))
		}
	}()

	// Kill while events arrive: each incarnation first proves it works (more deliveries
	// than before it started), then dies.
	for k := 1; k <= kills; k++ {
		base := rcv.hits.Load()
		proctest.Poll(t, 120*time.Second, fmt.Sprintf("incarnation %d to deliver", k), func() (bool, string) {
			proc.CheckAlive()
			return rcv.hits.Load() > base+20 || sent.Load() >= events && rcv.delivered() == events*hooks,
				fmt.Sprintf("%d hits, %d events sent", rcv.hits.Load(), sent.Load())
		})
		proc.Kill9()
		proc.Start()
	}
	killedAt := sent.Load()
	<-relayDone
	proctest.Poll(t, 120*time.Second, "every event at every subscription", func() (bool, string) {
		proc.CheckAlive()
		return rcv.delivered() == events*hooks, fmt.Sprintf("%d of %d delivered", rcv.delivered(), events*hooks)
	})
	proc.Stop()

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	for path, ids := range rcv.first {
		last := map[string]string{}
		for _, id := range ids {
			var n int
			fmt.Sscanf(strings.TrimPrefix(id, "ev-"), "%d", &n)
			subject := fmt.Sprint(n % subjects)
			if prev, ok := last[subject]; ok && prev > id {
				t.Fatalf("%s: subject %s got %s after %s", path, subject, id, prev)
			}
			last[subject] = id
		}
	}
	t.Logf("figures: %d kills while %d of %d events were relayed (%d by the last kill); %d deliveries, %d requests at the receivers (%d sent again after a kill)",
		kills, events, events, killedAt, events*hooks, rcv.hits.Load(), rcv.hits.Load()-int64(events*hooks))
}
