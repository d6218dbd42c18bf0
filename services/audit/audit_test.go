package audit_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/services/audit"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/offline"
)

func TestIngestStoresEachEventOnce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		eq(t, "first batch", h.mustDeliver(event("a"), event("b"), event("c")), 3)
		eq(t, "same batch again", h.mustDeliver(event("a"), event("b"), event("c")), 0)
		eq(t, "overlapping batch", h.mustDeliver(event("b"), event("c"), event("d"), event("e")), 2)
		eq(t, "id twice in one batch", h.mustDeliver(event("f"), event("f", func(e *eventsv1.Event) { e.Action = "other" })), 1)
		got := h.list("admin", &auditv1.ListAuditEventsRequest{})
		eqList(t, "events", ids(got), []string{"a", "b", "c", "d", "e", "f"})
		for i, e := range got {
			eq(t, "seq", e.GetSeq(), int64(i+1))
		}
		eq(t, "the first delivery of f wins", got[5].GetAction(), "user.updated")
		rep, err := h.pub.VerifyAuditEvents(h.as("admin"), &auditv1.VerifyAuditEventsRequest{})
		if err != nil || !rep.GetOk() || rep.GetVerifiedThrough() != 6 {
			t.Fatalf("verify: %v %v", rep, err)
		}
	})
}

func TestIngestKeepsArrivalOrderAndChains(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		subj := func(s string) func(*eventsv1.Event) { return func(e *eventsv1.Event) { e.Subject = s } }
		// Two producers interleave; each subject's events arrive in its producer's order.
		h.mustDeliver(event("r1-created", subj("requests/r1")), event("r1-step", subj("requests/r1")))
		h.mustDeliver(event("t1-created", subj("tasks/t1")))
		h.mustDeliver(event("r1-done", subj("requests/r1")), event("t1-approved", subj("tasks/t1")))
		all := h.list("admin", &auditv1.ListAuditEventsRequest{})
		eqList(t, "commit order", ids(all), []string{"r1-created", "r1-step", "t1-created", "r1-done", "t1-approved"})
		eqList(t, "requests/r1", ids(h.list("admin", &auditv1.ListAuditEventsRequest{Subject: "requests/r1"})), []string{"r1-created", "r1-step", "r1-done"})
		prev := strings.Repeat("0", 64)
		for _, e := range all {
			eq(t, "prev_hash of "+e.GetId(), e.GetPrevHash(), prev)
			prev = e.GetHash()
			if e.GetIngestTime() == nil || e.GetData().GetFields()["userId"].GetStringValue() != e.GetId() {
				t.Fatalf("event %s lost its ingest time or data: %v", e.GetId(), e)
			}
			eq(t, "trace id", e.GetTraceId(), "4bf92f3577b34da6a3ce929d0e0e4736")
		}
	})
}

func TestABadEventRefusesTheWholeBatch(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.mustDeliver(event("before"))
		for _, tc := range []struct {
			name  string
			batch []*eventsv1.Event
			field string
		}{
			{"no time", []*eventsv1.Event{event("ok"), event("bad", func(e *eventsv1.Event) { e.Time = nil })}, "events[1].time"},
			{"no id", []*eventsv1.Event{event("ok"), event("")}, "events[1].id"},
			{"no subject", []*eventsv1.Event{event("bad", func(e *eventsv1.Event) { e.Subject = "" })}, "events[0].subject"},
			{"no events", nil, "events"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := h.deliver(tc.batch...)
				wantBadField(t, err, tc.field)
			})
		}
		eqList(t, "nothing of the refused batches", ids(h.list("admin", &auditv1.ListAuditEventsRequest{})), []string{"before"})
		// The good event of a refused batch arrives with its next delivery.
		eq(t, "redelivery", h.mustDeliver(event("ok")), 1)
	})
}

func TestOnlyServicesDeliver(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	_, err := h.ingest.DeliverEvents(h.as("admin"), &eventsv1.DeliverEventsRequest{Events: []*eventsv1.Event{event("a")}})
	wantCode(t, err, codes.PermissionDenied)
	_, err = h.ingest.DeliverEvents(context.Background(), &eventsv1.DeliverEventsRequest{Events: []*eventsv1.Event{event("a")}})
	wantCode(t, err, codes.Unauthenticated)
	eq(t, "events stored", len(h.list("admin", &auditv1.ListAuditEventsRequest{})), 0)
}

func TestQueryFiltersAndPages(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		at := func(hours int) *timestamppb.Timestamp {
			return timestamppb.New(t0.Add(time.Duration(hours) * time.Hour))
		}
		ev := func(id, subject, actor string, hour int, mods ...func(*eventsv1.Event)) *eventsv1.Event {
			return event(id, append([]func(*eventsv1.Event){func(e *eventsv1.Event) { e.Subject, e.ActorId, e.Time = subject, actor, at(hour) }}, mods...)...)
		}
		policy := func(id string, v int64) func(*eventsv1.Event) {
			return func(e *eventsv1.Event) { e.Service, e.PolicyId, e.PolicyVersion = "grantflow-policy", id, v }
		}
		request := func(rid string) func(*eventsv1.Event) { return func(e *eventsv1.Event) { e.RequestId = rid } }
		act := func(a string) func(*eventsv1.Event) { return func(e *eventsv1.Event) { e.Action = a } }
		h.mustDeliver(
			ev("p1v1", "policies/p1/versions/1", "admin", 0, policy("p1", 1), act("policy.version.created")),
			ev("p1v2", "policies/p1/versions/2", "admin", 1, policy("p1", 2), act("policy.version.created")),
			ev("p1v2a", "policies/p1/versions/2", "admin", 2, policy("p1", 2), act("policy.version.activated")),
		)
		h.mustDeliver(
			ev("r1", "requests/r1", "uma", 3, request("r1"), policy("p1", 2), act("request.created")),
			ev("t1", "tasks/t1", "system", 4, request("r1"), policy("p1", 2), act("task.created")),
			ev("t1a", "tasks/t1", "gm", 5, request("r1"), act("task.approved")),
			ev("r2", "requests/r2", "ulf", 6, request("r2"), policy("p1", 1), act("request.created")),
			ev("u1", "users/uma", "admin", 7, act("user.updated")),
		)
		for _, tc := range []struct {
			name string
			req  *auditv1.ListAuditEventsRequest
			want []string
		}{
			{"lineage of r1", &auditv1.ListAuditEventsRequest{RequestId: "r1"}, []string{"p1v2", "p1v2a", "r1", "t1", "t1a"}},
			{"lineage of r2", &auditv1.ListAuditEventsRequest{RequestId: "r2"}, []string{"p1v1", "r2"}},
			{"subject", &auditv1.ListAuditEventsRequest{Subject: "tasks/t1"}, []string{"t1", "t1a"}},
			{"actor", &auditv1.ListAuditEventsRequest{ActorId: "admin"}, []string{"p1v1", "p1v2", "p1v2a", "u1"}},
			{"since", &auditv1.ListAuditEventsRequest{Since: at(5)}, []string{"t1a", "r2", "u1"}},
			{"until", &auditv1.ListAuditEventsRequest{Until: at(2)}, []string{"p1v1", "p1v2"}},
			{"since and until", &auditv1.ListAuditEventsRequest{Since: at(2), Until: at(4)}, []string{"p1v2a", "r1"}},
			{"request and actor", &auditv1.ListAuditEventsRequest{RequestId: "r1", ActorId: "gm"}, []string{"t1a"}},
			{"nothing", &auditv1.ListAuditEventsRequest{Subject: "requests/none"}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, size := range []int32{0, 1, 2, 500} {
					tc.req.PageSize, tc.req.PageToken = size, ""
					eqList(t, "events", ids(h.list("gm", tc.req)), tc.want)
				}
			})
		}
		// Pages have the asked size, a token while more remain, and none at the end.
		var sizes []int
		req := &auditv1.ListAuditEventsRequest{PageSize: 3}
		for {
			res, err := h.pub.ListAuditEvents(h.as("admin"), req)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, len(res.GetAuditEvents()))
			if res.GetNextPageToken() == "" {
				break
			}
			req.PageToken = res.GetNextPageToken()
		}
		eqList(t, "page sizes", sizes, []int{3, 3, 2})
	})
}

// requestsOf is a RequestVisibility: person may see the listed requests.
type requestsOf map[string][]string

func (r requestsOf) CanSee(_ context.Context, p auth.Principal, requestID string) (bool, error) {
	for _, id := range r[p.UserID] {
		if id == requestID {
			return true, nil
		}
	}
	return false, nil
}

func seedVisibility(h *harness) {
	h.t.Helper()
	mk := func(id, subject, actor, request string, policyVersion int64, action string) *eventsv1.Event {
		return event(id, func(e *eventsv1.Event) {
			e.Subject, e.ActorId, e.RequestId, e.Action = subject, actor, request, action
			if policyVersion > 0 {
				e.PolicyId, e.PolicyVersion = "p1", policyVersion
			}
		})
	}
	var batch []*eventsv1.Event
	batch = append(batch,
		mk("pv", "policies/p1/versions/1", "admin", "", 1, "policy.version.activated"),
		mk("uma-onboarded", "users/uma", "admin", "", 0, "user.created"),
		mk("ulf-onboarded", "users/ulf", "admin", "", 0, "user.created"),
		mk("r1-created", "requests/r1", "uma", "r1", 1, "request.created"),
		mk("r1-task", "tasks/t1", "system", "r1", 1, "task.created"),
		mk("r1-approved", "tasks/t1", "ulf", "r1", 0, "task.approved"),
		mk("r2-created", "requests/r2", "ulf", "r2", 1, "request.created"),
	)
	for i := range 150 { // filler that neither uma nor ulf may see, across several scans
		batch = append(batch, mk("noise-"+string(rune('a'+i/26))+string(rune('a'+i%26)), "apps/a1", "admin", "", 0, "app.updated"))
	}
	batch = append(batch, mk("uma-updated", "users/uma", "gm", "", 0, "user.updated"))
	h.mustDeliver(batch...)
}

func TestVisibility(t *testing.T) {
	t.Run("default: own events only", func(t *testing.T) {
		h := newHarness(t, harnessOptions{})
		seedVisibility(h)
		for _, size := range []int32{1, 2, 50} {
			eqList(t, "uma sees", ids(h.list("uma", &auditv1.ListAuditEventsRequest{PageSize: size})), []string{"uma-onboarded", "r1-created", "uma-updated"})
		}
		eqList(t, "ulf sees", ids(h.list("ulf", &auditv1.ListAuditEventsRequest{})), []string{"ulf-onboarded", "r1-approved", "r2-created"})
		eqList(t, "uma's lineage of r1: only hers", ids(h.list("uma", &auditv1.ListAuditEventsRequest{RequestId: "r1"})), []string{"r1-created"})
		eqList(t, "uma's lineage of r2: nothing, and no error", ids(h.list("uma", &auditv1.ListAuditEventsRequest{RequestId: "r2"})), []string{})
		eq(t, "gm sees", len(h.list("gm", &auditv1.ListAuditEventsRequest{})), 158)
		eq(t, "admin sees", len(h.list("admin", &auditv1.ListAuditEventsRequest{PageSize: 7})), 158)
	})
	t.Run("with a request visibility", func(t *testing.T) {
		h := newHarness(t, harnessOptions{visibility: requestsOf{"uma": {"r1"}}})
		seedVisibility(h)
		eqList(t, "uma's lineage of r1", ids(h.list("uma", &auditv1.ListAuditEventsRequest{RequestId: "r1"})), []string{"pv", "r1-created", "r1-task", "r1-approved"})
		eqList(t, "uma sees", ids(h.list("uma", &auditv1.ListAuditEventsRequest{PageSize: 2})), []string{"uma-onboarded", "r1-created", "r1-task", "r1-approved", "uma-updated"})
		eqList(t, "ulf still sees only his", ids(h.list("ulf", &auditv1.ListAuditEventsRequest{RequestId: "r1"})), []string{"r1-approved"})
	})
}

func TestWhoMayReadTheWholeLog(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	h.mustDeliver(event("a"))
	for _, person := range []string{"admin", "gm"} {
		if rep, err := h.pub.VerifyAuditEvents(h.as(person), &auditv1.VerifyAuditEventsRequest{}); err != nil || !rep.GetOk() {
			t.Fatalf("%s verify: %v %v", person, rep, err)
		}
		if _, err := h.pub.ListCheckpoints(h.as(person), &auditv1.ListCheckpointsRequest{}); err != nil {
			t.Fatalf("%s checkpoints: %v", person, err)
		}
		eq(t, person+" export", len(export(t, h, h.as(person))), 1)
	}
	calls := map[string]func(ctx context.Context) error{
		"verify": func(ctx context.Context) error {
			_, err := h.pub.VerifyAuditEvents(ctx, &auditv1.VerifyAuditEventsRequest{})
			return err
		},
		"export": func(ctx context.Context) error {
			s, err := h.pub.ExportAuditEvents(ctx, &auditv1.ExportAuditEventsRequest{})
			if err != nil {
				return err
			}
			_, err = s.Recv()
			return err
		},
		"checkpoints": func(ctx context.Context) error {
			_, err := h.pub.ListCheckpoints(ctx, &auditv1.ListCheckpointsRequest{})
			return err
		},
		"list": func(ctx context.Context) error {
			_, err := h.pub.ListAuditEvents(ctx, &auditv1.ListAuditEventsRequest{})
			return err
		},
		"public key": func(ctx context.Context) error {
			_, err := h.pub.GetPublicKey(ctx, &auditv1.GetPublicKeyRequest{})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			switch name {
			case "list", "public key":
				if err := call(h.as("uma")); err != nil {
					t.Fatalf("uma: %v", err)
				}
			default:
				wantCode(t, call(h.as("uma")), codes.PermissionDenied)
			}
			wantCode(t, call(context.Background()), codes.Unauthenticated)
			wantCode(t, call(h.withKey("not-a-key")), codes.Unauthenticated)
		})
	}
}

func TestBadQueriesNameTheField(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	admin := h.as("admin")
	_, err := h.pub.ListAuditEvents(admin, &auditv1.ListAuditEventsRequest{Since: timestamppb.New(t0), Until: timestamppb.New(t0.Add(-time.Second))})
	wantBadField(t, err, "until")
	_, err = h.pub.ListAuditEvents(admin, &auditv1.ListAuditEventsRequest{PageToken: "!!"})
	wantBadField(t, err, "page_token")
	_, err = h.pub.ListAuditEvents(admin, &auditv1.ListAuditEventsRequest{PageToken: "czA"}) // "s0"
	wantBadField(t, err, "page_token")
	_, err = h.pub.ListAuditEvents(admin, &auditv1.ListAuditEventsRequest{PageSize: 501})
	wantBadField(t, err, "page_size")
	_, err = h.pub.ListAuditEvents(admin, &auditv1.ListAuditEventsRequest{Since: &timestamppb.Timestamp{Nanos: -1}})
	wantBadField(t, err, "since")
	_, err = h.pub.ListCheckpoints(admin, &auditv1.ListCheckpointsRequest{PageToken: "nope"})
	wantBadField(t, err, "page_token")
}

func TestCheckpointsAreSignedAndVerify(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		ctx := context.Background()
		if made, err := h.svc.Checkpoint(ctx); made || err != nil {
			t.Fatalf("checkpoint of an empty log: %v %v", made, err)
		}
		for i := range 3 {
			var batch []*eventsv1.Event
			for j := range 10 {
				batch = append(batch, event(string(rune('a'+i))+string(rune('a'+j))))
			}
			h.mustDeliver(batch...)
			if made, err := h.svc.Checkpoint(ctx); !made || err != nil {
				t.Fatalf("checkpoint %d: %v %v", i, made, err)
			}
		}
		if made, _ := h.svc.Checkpoint(ctx); made {
			t.Fatal("a checkpoint without new events")
		}
		key, err := h.pub.GetPublicKey(h.as("uma"), &auditv1.GetPublicKeyRequest{})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "algorithm", key.GetAlgorithm(), "Ed25519")
		eq(t, "key id", key.GetKeyId(), domain.KeyID(key.GetPublicKey()))
		res, err := h.pub.ListCheckpoints(h.as("admin"), &auditv1.ListCheckpointsRequest{PageSize: 2})
		if err != nil || len(res.GetCheckpoints()) != 2 || res.GetNextPageToken() == "" {
			t.Fatalf("checkpoints page 1: %v %v", res, err)
		}
		more, err := h.pub.ListCheckpoints(h.as("admin"), &auditv1.ListCheckpointsRequest{PageSize: 2, PageToken: res.GetNextPageToken()})
		if err != nil || len(more.GetCheckpoints()) != 1 || more.GetNextPageToken() != "" {
			t.Fatalf("checkpoints page 2: %v %v", more, err)
		}
		events := h.list("admin", &auditv1.ListAuditEventsRequest{})
		for i, pb := range append(res.GetCheckpoints(), more.GetCheckpoints()...) {
			eq(t, "checkpoint seq", pb.GetSeq(), int64(10*(i+1)))
			eq(t, "head hash", pb.GetHeadHash(), events[pb.GetSeq()-1].GetHash())
			head, _ := domain.ParseHash(pb.GetHeadHash())
			cp := domain.Checkpoint{Seq: pb.GetSeq(), HeadHash: head, Time: pb.GetTime().AsTime(), KeyID: pb.GetKeyId(), Signature: pb.GetSignature()}
			if err := domain.VerifyCheckpoint(key.GetPublicKey(), cp); err != nil {
				t.Fatalf("checkpoint %d does not verify with the published key: %v", cp.Seq, err)
			}
		}
		for _, fromLast := range []bool{false, true} {
			rep, err := h.pub.VerifyAuditEvents(h.as("gm"), &auditv1.VerifyAuditEventsRequest{FromLastCheckpoint: fromLast})
			if err != nil || !rep.GetOk() || rep.GetVerifiedThrough() != 30 || rep.GetHeadHash() != events[29].GetHash() ||
				rep.GetFirstBadSeq() != 0 || rep.GetLastCheckpoint().GetSeq() != 30 || rep.GetCheckpointsChecked() != 3 {
				t.Fatalf("verify (from last checkpoint: %v): %v %v", fromLast, rep, err)
			}
		}
	})
}

func TestTheCheckpointerSignsByCountAndTime(t *testing.T) {
	h := newHarness(t, harnessOptions{every: 5, interval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.svc.Run(ctx); close(done) }()
	latest := func() int64 {
		res, err := h.pub.ListCheckpoints(h.as("admin"), &auditv1.ListCheckpointsRequest{PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(res.GetCheckpoints()); n > 0 {
			return res.GetCheckpoints()[n-1].GetSeq()
		}
		return 0
	}
	h.mustDeliver(event("a"), event("b"), event("c"), event("d"))
	h.mustDeliver(event("e"), event("f"))
	servicetest.Eventually(t, "a checkpoint once 5 events arrived", func() bool { return latest() == 6 })
	h.mustDeliver(event("g"))
	cancel()
	<-done
	eq(t, "the last checkpoint, made on the way out", latest(), int64(7))

	// By time: a short interval signs a single event.
	h2 := newHarness(t, harnessOptions{every: 1000, interval: 20 * time.Millisecond})
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2 := make(chan struct{})
	go func() { h2.svc.Run(ctx2); close(done2) }()
	h2.mustDeliver(event("a"))
	servicetest.Eventually(t, "a checkpoint after the interval", func() bool {
		res, err := h2.pub.ListCheckpoints(h2.as("admin"), &auditv1.ListCheckpointsRequest{})
		return err == nil && len(res.GetCheckpoints()) == 1
	})
	cancel2()
	<-done2
}

func (h *harness) withKey(key string) context.Context {
	return metadataWithBearer(key)
}

// export reads the whole export stream.
func export(t testing.TB, h *harness, ctx context.Context) []*auditv1.AuditEvent {
	t.Helper()
	s, err := h.pub.ExportAuditEvents(ctx, &auditv1.ExportAuditEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*auditv1.AuditEvent
	for {
		e, err := s.Recv()
		if err != nil {
			if !strings.Contains(err.Error(), "EOF") {
				t.Fatalf("export: %v", err)
			}
			return out
		}
		out = append(out, e)
	}
}

func TestExportIsTheVerifiableLog(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		for i := range 25 {
			h.mustDeliver(event("e"+string(rune('a'+i)), func(e *eventsv1.Event) {
				e.Payload = &eventsv1.Event_TaskChanged{TaskChanged: &eventsv1.TaskChanged{
					TaskId: "t" + string(rune('0'+i%10)), PolicyVersion: 1234567890123456789, StepApprovals: int32(i % 10),
					Note: "\u00e9\n\u2028", AssigneeIds: []string{"b", "a"}, CancelledTaskIds: []string{},
				}}
			}))
			if i == 9 || i == 19 {
				if _, err := h.svc.Checkpoint(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		events := export(t, h, h.as("admin"))
		eq(t, "exported", len(events), 25)
		cps, err := h.pub.ListCheckpoints(h.as("admin"), &auditv1.ListCheckpointsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var kept []domain.Checkpoint
		for _, pb := range cps.GetCheckpoints() {
			head, _ := domain.ParseHash(pb.GetHeadHash())
			kept = append(kept, domain.Checkpoint{Seq: pb.GetSeq(), HeadHash: head, Time: pb.GetTime().AsTime(), KeyID: pb.GetKeyId(), Signature: pb.GetSignature()})
		}
		v := domain.NewVerifier(h.svc.PublicKey(), kept, false)
		for _, pb := range events {
			e, err := offline.EventFromPB(pb)
			if err != nil {
				t.Fatal(err)
			}
			if !v.Add(&e) {
				break
			}
		}
		if r := v.Finish(); !r.OK || r.VerifiedThrough != 25 || r.CheckpointsChecked != 2 {
			t.Fatalf("the export does not verify offline: %+v", r)
		}
	})
}

// A producer wires audit as its relay's sink. Delivery is at least once: a delivery whose
// answer is lost is sent again, and audit stores it once.
func TestAProducersRelayDeliversThroughSink(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	conn := h.dial(grpc.WithChainUnaryInterceptor(auth.UnaryClientInterceptor(h.signer)))
	defer conn.Close()
	var ob outbox.Memory
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		if err := ob.Append([]string{"audit"}, event(id)); err != nil {
			t.Fatal(err)
		}
	}
	sink := kit.Sink(conn, "audit")
	var calls atomic.Int32
	lossy := outbox.SinkFunc(func(ctx context.Context, events []*eventsv1.Event) error {
		err := sink.DeliverEvents(ctx, events)
		if calls.Add(1) == 1 && err == nil {
			return errors.New("the answer was lost")
		}
		return err
	})
	relay, err := outbox.NewRelay(outbox.RelayOptions{Name: "audit", Store: &ob, Sink: lossy, BatchSize: 3, PollInterval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	servicetest.Eventually(t, "the outbox to drain", func() bool {
		p, _ := ob.Pending(context.Background(), "audit", 10)
		return len(p) == 0
	})
	cancel()
	<-done
	eqList(t, "stored once each", ids(h.list("admin", &auditv1.ListAuditEventsRequest{})), []string{"a", "b", "c", "d", "e"})
	if calls.Load() < 3 {
		t.Fatalf("%d deliveries, want the lost one sent again", calls.Load())
	}
}

func TestSigningKey(t *testing.T) {
	seed := strings.Repeat("A", 43) // 32 zero bytes, base64 without padding
	h := newHarness(t, harnessOptions{signingKey: seed})
	want, _ := domain.ParseSeed(seed)
	k, _ := domain.NewKey(want)
	res, err := h.pub.GetPublicKey(h.as("uma"), &auditv1.GetPublicKeyRequest{})
	if err != nil || string(res.GetPublicKey()) != string(k.Public()) || res.GetKeyId() != k.ID() {
		t.Fatalf("public key %v %v, want the configured key's", res, err)
	}
	if _, err := audit.New(context.Background(), audit.Options{SigningKey: "short"}); err == nil {
		t.Fatal("a bad signing key was accepted")
	}
	t.Run("generated and kept in PostgreSQL", func(t *testing.T) {
		o := harnessOptions{postgresURL: pgtestURL(t)}
		a, b := newHarness(t, o), newHarness(t, o)
		if string(a.svc.PublicKey()) != string(b.svc.PublicKey()) {
			t.Fatal("two replicas on one database sign with different keys")
		}
	})
}
