package app

import (
	"slices"
	"strings"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// TestPlan is who each event tells, in one table.
func TestPlan(t *testing.T) {
	task := func(action, typ, status string, assignees, previous []string) *eventsv1.Event {
		return &eventsv1.Event{Id: "e", Action: action, ActorId: "ada", Payload: &eventsv1.Event_TaskChanged{TaskChanged: &eventsv1.TaskChanged{
			RequestId: "r1", Type: typ, Status: status, AssigneeIds: assignees, PreviousAssigneeIds: previous}}}
	}
	closed := func(action, actor string) *eventsv1.Event {
		return &eventsv1.Event{Id: "e", Action: action, RequestId: "r1", ActorId: actor,
			Payload: &eventsv1.Event_RequestChanged{RequestChanged: &eventsv1.RequestChanged{RequesterId: "uma", Status: "X"}}}
	}
	standalone := task("task.created", "STANDALONE", "PENDING", []string{"nina"}, nil)
	standalone.GetTaskChanged().RequestId = ""
	for _, c := range []struct {
		name string
		ev   *eventsv1.Event
		want []string // user/kind/path
	}{
		{"a review task opens", task("task.created", "REVIEW", "PENDING", []string{"mona", "otto", "mona"}, nil),
			[]string{"mona/task_opened//requests/r1", "otto/task_opened//requests/r1"}},
		{"its decider is told of the next step too", task("task.created", "ACTION", "PENDING", []string{"ada"}, nil),
			[]string{"ada/task_opened//requests/r1"}},
		{"a standalone task", standalone, []string{"nina/task_opened//inbox"}},
		{"an auto-approved step's task", task("task.created", "REVIEW", "DONE", []string{"grace"}, nil), nil},
		{"its outcome", task("task.auto_approved", "REVIEW", "DONE", []string{"grace"}, nil), nil},
		{"an access-review task", task("task.created", "ACCESS_REVIEW", "PENDING", []string{"mona"}, nil), nil},
		{"the system agent's task", task("task.created", "ACTION", "PENDING", nil, nil), nil},
		{"reassigned: the people added", task("task.reassigned", "REVIEW", "PENDING", []string{"mona", "ulf"}, []string{"mona", "otto"}),
			[]string{"ulf/task_reassigned//requests/r1"}},
		{"reassigned to oneself", task("task.reassigned", "REVIEW", "PENDING", []string{"ada"}, []string{"mona"}), nil},
		{"escalated: the people added", task("task.escalated", "REVIEW", "PENDING", []string{"mona", "sam"}, []string{"mona"}),
			[]string{"sam/task_escalated//requests/r1"}},
		{"due", task("task.due", "REVIEW", "PENDING", []string{"mona"}, nil), []string{"mona/task_due//requests/r1"}},
		{"due but decided since", task("task.due", "REVIEW", "DONE", []string{"mona"}, nil), nil},
		{"a decision", task("task.approved", "REVIEW", "DONE", []string{"mona"}, nil), nil},
		{"done", closed("request.done", auth.SystemUserID), []string{"uma/request_closed//requests/r1"}},
		{"declined", closed("request.declined", "mona"), []string{"uma/request_closed//requests/r1"}},
		{"failed", closed("request.failed", auth.SystemUserID), []string{"uma/request_closed//requests/r1"}},
		{"cancelled by an admin", closed("request.cancelled", "ada"), []string{"uma/request_closed//requests/r1"}},
		{"cancelled by the requester", closed("request.cancelled", "uma"), nil},
		{"created", closed("request.created", "uma"), nil},
		{"a campaign launches", &eventsv1.Event{Id: "e", Action: "accessReview.launched", Payload: &eventsv1.Event_AccessReviewChanged{
			AccessReviewChanged: &eventsv1.AccessReviewChanged{ItemReviewerIds: []string{"mona", "sam"}}}},
			[]string{"mona/review_launched//reviews", "sam/review_launched//reviews"}},
		{"its reminder", &eventsv1.Event{Id: "e", Action: "accessReview.reminder", Payload: &eventsv1.Event_AccessReviewChanged{
			AccessReviewChanged: &eventsv1.AccessReviewChanged{ItemReviewerIds: []string{"sam"}}}},
			[]string{"sam/review_reminder//reviews"}},
		{"an access expires soon", &eventsv1.Event{Id: "e", Action: "access.expiring", Payload: &eventsv1.Event_AccessChanged{
			AccessChanged: &eventsv1.AccessChanged{UserId: "uma", AppId: "figma"}}},
			[]string{"uma/access_expiring//request"}},
		{"a payload of another kind", &eventsv1.Event{Id: "e", Action: "task.created"}, nil},
	} {
		var got []string
		for _, n := range plan(c.ev) {
			got = append(got, n.UserID+"/"+string(n.Kind)+"/"+n.Path)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestRenderSaysWhatIsAsked(t *testing.T) {
	n := domain.Notice{Kind: domain.TaskOpened, TaskType: "REVIEW", StepName: "Manager approval", RequestType: "GRANT_ACCESS",
		AppID: "a1", Permission: "editor", TargetUserID: "uma", RequestID: "r1"}
	title, text := domain.Render(n, domain.Facts{Names: map[string]string{"uma": "Uma Chen"}, AppName: "Figma"}, "http://x/console/requests/r1")
	if title != "Action needed: review Uma Chen's request for Figma editor (GRANT_ACCESS)" {
		t.Errorf("title %q", title)
	}
	for _, want := range []string{"A task waits for you: review Uma Chen's request", "Step: Manager approval.", "http://x/console/requests/r1\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
}
