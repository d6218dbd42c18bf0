package task_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// TestManagerChangeMovesManagerReviews: identity's user.updated with a new manager moves
// the user's pending MANAGER review tasks that the old manager holds to the new manager
// (history says why), leaves every other task alone, falls back to the admins where the
// new manager is the request's requester (maker-checker), and gives the new manager one
// standalone task to review the user's accesses; a redelivered event changes nothing.
func TestManagerChangeMovesManagerReviews(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		own := h.open(step{request: "req-own", kind: typev1.AssigneeKind_MANAGER, assignees: []string{"mona"}})[0]
		byOtto := h.open(step{request: "req-otto", kind: typev1.AssigneeKind_MANAGER, assignees: []string{"mona"}, requester: "otto"})[0]
		ulfs := h.open(step{request: "req-ulf", kind: typev1.AssigneeKind_MANAGER, assignees: []string{"mona"}, requester: "ulf", target: "ulf"})[0]
		owner := h.open(step{request: "req-owner", kind: typev1.AssigneeKind_APP_OWNER, assignees: []string{"mona"}})[0]
		decided := h.open(step{request: "req-decided", kind: typev1.AssigneeKind_MANAGER, assignees: []string{"mona"}})[0]
		h.must(h.approve("mona", decided.GetId()))

		// Identity moves uma from mona to otto; its event, as identity writes it.
		if _, err := h.idPub.UpdateUser(h.As("admin"), &identityv1.UpdateUserRequest{Id: h.IDs["uma"],
			User: &identityv1.User{ManagerId: h.IDs["otto"]}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"manager_id"}}}); err != nil {
			t.Fatal(err)
		}
		ev := &eventsv1.Event{Id: "ev-move-1", Service: "grantflow-identity", Action: "user.updated", Subject: "users/" + h.IDs["uma"],
			Payload: &eventsv1.Event_UserChanged{UserChanged: &eventsv1.UserChanged{UserId: h.IDs["uma"], DisplayName: "uma",
				ManagerId: h.IDs["otto"], PreviousManagerId: h.IDs["mona"], Changed: []string{"manager_id"}}}}
		sink := eventsv1.NewEventSinkServiceClient(h.conn)
		for range 2 { // at least once: the second delivery changes nothing
			if _, err := sink.DeliverEvents(h.system(), &eventsv1.DeliverEventsRequest{Events: []*eventsv1.Event{ev}}); err != nil {
				t.Fatal(err)
			}
		}

		got := h.get("admin", own.GetId())
		if !slices.Equal(got.GetAssigneeIds(), h.people("otto")) {
			t.Errorf("uma's own request: assignees %v, want otto", got.GetAssigneeIds())
		}
		last := got.GetHistory()[len(got.GetHistory())-1]
		if last.GetEvent() != "reassigned" || last.GetActorId() != "system" || !strings.Contains(last.GetNote(), "manager of uma changed") {
			t.Errorf("history %+v", got.GetHistory())
		}
		if n := len(got.GetHistory()); n != 2 {
			t.Errorf("history has %d entries after two deliveries, want 2 (created, reassigned)", n)
		}
		// Otto asked for uma's access: he never reviews it; the admins do.
		got = h.get("admin", byOtto.GetId())
		if ids := got.GetAssigneeIds(); len(ids) == 0 || slices.Contains(ids, h.IDs["otto"]) || slices.Contains(ids, h.IDs["mona"]) || slices.Contains(ids, h.IDs["uma"]) {
			t.Errorf("otto's request for uma: assignees %v, want the admins", ids)
		}
		if note := got.GetHistory()[len(got.GetHistory())-1].GetNote(); !strings.Contains(note, "fell back to the admins") {
			t.Errorf("the fallback is not in the history: %q", note)
		}
		for _, keep := range []*taskv1.Task{ulfs, owner, decided} {
			if got := h.get("admin", keep.GetId()); !slices.Equal(got.GetAssigneeIds(), h.people("mona")) {
				t.Errorf("task %s moved: %v", keep.GetRequestId(), got.GetAssigneeIds())
			}
			if got := h.get("admin", keep.GetId()); got.GetHistory()[len(got.GetHistory())-1].GetEvent() == "reassigned" {
				t.Errorf("task %s reassigned", keep.GetRequestId())
			}
		}

		// One standalone task for otto, to review uma's accesses.
		list, err := h.pub.ListTasks(h.As("otto"), &taskv1.ListTasksRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var reviews []*taskv1.Task
		for _, task := range list.GetTasks() {
			if task.GetType() == taskv1.Task_STANDALONE {
				reviews = append(reviews, task)
			}
		}
		if len(reviews) != 1 || !strings.Contains(reviews[0].GetAction(), "Review the accesses of uma") {
			t.Fatalf("otto's standalone tasks: %v, want one to review uma's accesses", reviews)
		}

		// The moves reach request (who may see the request) and audit, as system.
		moved := h.eventsOf("request", 2, func(e *eventsv1.Event) bool { return e.GetAction() == "task.reassigned" })
		for _, e := range moved {
			if e.GetActorId() != "system" {
				t.Errorf("task.reassigned by %q, want system", e.GetActorId())
			}
		}

		// Only Grantflow's services deliver events.
		if _, err := sink.DeliverEvents(h.As("admin"), &eventsv1.DeliverEventsRequest{Events: []*eventsv1.Event{ev}}); status.Code(err) != codes.PermissionDenied && status.Code(err) != codes.Unauthenticated {
			t.Errorf("a person delivering events: %v, want refused", err)
		}
	})
}
