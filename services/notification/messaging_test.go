package notification_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/messagingtest"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/proctest"
	"github.com/grantflow/grantflow/services/notification"
	"github.com/grantflow/grantflow/services/notification/internal/store/postgres"
)

func init() {
	people["mona-key"] = auth.Principal{UserID: "mona", Role: identityv1.Role_USER, CredentialID: "k-mona"}
}

const consoleURL = "http://grantflow.test/console"

// directory is identity as the messages see it: the test organization.
type directory struct {
	identityv1.IdentityInternalServiceClient
	calls atomic.Int32
}

var directoryUsers = map[string]*identityv1.UserFacts{
	"uma":   {Id: "uma", Email: "uma@example.com", DisplayName: "Uma User", Status: identityv1.User_ACTIVE},
	"mona":  {Id: "mona", Email: "mona@example.com", DisplayName: "Mona Manager", Status: identityv1.User_ACTIVE},
	"otto":  {Id: "otto", Email: "otto@example.com", DisplayName: "Otto Owner", Status: identityv1.User_ACTIVE},
	"ulf":   {Id: "ulf", Email: "ulf@example.com", DisplayName: "Ulf", Status: identityv1.User_ACTIVE},
	"admin": {Id: "admin", Email: "admin@example.com", DisplayName: "Ada Admin", Status: identityv1.User_ACTIVE},
}

func (d *directory) GetFacts(_ context.Context, r *identityv1.GetFactsRequest, _ ...grpc.CallOption) (*identityv1.GetFactsResponse, error) {
	d.calls.Add(1)
	out := &identityv1.GetFactsResponse{Users: map[string]*identityv1.UserFacts{}, Apps: map[string]*identityv1.AppFacts{}}
	for _, id := range r.GetUserIds() {
		if u, ok := directoryUsers[id]; ok {
			out.Users[id] = u
		}
	}
	for _, id := range r.GetAppIds() {
		if id == "figma" {
			out.Apps[id] = &identityv1.AppFacts{Id: id, Name: "Figma"}
		}
	}
	return out, nil
}

// requests is the request service as the messages see it: request r1, Uma's ask for Figma
// editor.
type requests struct{ requestv1.RequestServiceClient }

func (requests) GetRequest(_ context.Context, r *requestv1.GetRequestRequest, _ ...grpc.CallOption) (*requestv1.Request, error) {
	if r.GetId() != "r1" {
		return nil, errs.NotFound("request", r.GetId())
	}
	return &requestv1.Request{Id: "r1", Type: typev1.RequestType_GRANT_ACCESS, RequesterId: "uma", TargetUserId: "uma",
		AppId: "figma", Permission: "editor", Reason: "design reviews"}, nil
}

// slackUsers are the workspace's members by email: Otto has no Slack account.
var slackUsers = map[string]string{
	"uma@example.com": "U-UMA", "mona@example.com": "U-MONA", "ulf@example.com": "U-ULF", "admin@example.com": "U-ADMIN",
}

// messaging is the email and Slack side of a harness.
type messaging struct {
	smtp  *messagingtest.SMTPServer
	slack *messagingtest.SlackAPI
	dir   *directory
	// smtpURL, slackToken, slackURL override the working configuration (broken ones).
	smtpURL, smtpFrom, slackToken, slackURL string
}

func newMessaging(t testing.TB) *messaging {
	return &messaging{smtp: messagingtest.NewSMTPServer(t), slack: messagingtest.NewSlackAPI(t, slackUsers), dir: &directory{}}
}

func (m *messaging) apply(o *notification.Options) {
	o.SMTPURL, o.SMTPFrom, o.SMTPTLS = m.smtp.URL(), "grantflow@example.com", m.smtp.ClientTLS
	o.SlackBotToken, o.SlackAPIURL = messagingtest.SlackToken, m.slack.URL+"/api"
	if m.smtpURL != "" {
		o.SMTPURL, o.SMTPFrom = m.smtpURL, m.smtpFrom
	}
	if m.slackToken != "" || m.slackURL != "" {
		o.SlackBotToken, o.SlackAPIURL = m.slackToken, m.slackURL
	}
	o.ConsoleURL, o.Directory, o.Requests = consoleURL, m.dir, requests{}
}

func taskEvent(id, action, status string, assignees, previous []string) *eventsv1.Event {
	return &eventsv1.Event{Id: id, Service: "grantflow-task", Action: action, Subject: "tasks/t1", RequestId: "r1", TaskId: "t1",
		ActorId: "admin", Time: timestamppb.Now(),
		Payload: &eventsv1.Event_TaskChanged{TaskChanged: &eventsv1.TaskChanged{TaskId: "t1", RequestId: "r1", Type: "REVIEW",
			Status: status, StepName: "Manager approval", AssigneeIds: assignees, PreviousAssigneeIds: previous}}}
}

// settledMessages waits until there are want messages, none PENDING, and returns them.
func (h *harness) settledMessages(want int) []*notificationv1.Notification {
	h.t.Helper()
	var list []*notificationv1.Notification
	proctest.Poll(h.t, 60*time.Second, fmt.Sprintf("%d settled messages", want), func() (bool, string) {
		r, err := h.notif.ListNotifications(as("admin-key"), &notificationv1.ListNotificationsRequest{PageSize: 500})
		if err != nil {
			h.t.Fatalf("ListNotifications: %v", err)
		}
		list = r.GetNotifications()
		settled := len(list) == want
		for _, n := range list {
			settled = settled && n.GetStatus() != notificationv1.Notification_PENDING
		}
		return settled, fmt.Sprintf("have %d: %v", len(list), list)
	})
	return list
}

// withMessaging runs test on both engines, each with an SMTP server and a Slack fake of
// its own.
func withMessaging(t *testing.T, adjust func(*messaging), test func(t *testing.T, h *harness, m *messaging)) {
	for _, engine := range []string{"memory", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			m := newMessaging(t)
			if adjust != nil {
				adjust(m)
			}
			c := config{messaging: m}
			if engine == "postgres" {
				pgtest.NewDatabase(t, postgres.Schema.Options(""))
				c.postgresURL = pgtest.URL(t)
			}
			test(t, newHarness(t, c), m)
		})
	}
}

// TestMessages: the right people, once, over email (an SMTP server of the test, with
// AUTH) and Slack (a local fake of its Web API), with links to the console; none for an
// auto-approved step; one per event, person and channel however often an event is relayed.
func TestMessages(t *testing.T) {
	withMessaging(t, nil, func(t *testing.T, h *harness, m *messaging) {
		due := timestamppb.New(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
		opened := taskEvent("e-open", "task.created", "PENDING", []string{"mona", "otto"}, nil)
		// An auto-approved manager step (a GM's request): its task is created approved, then
		// task.auto_approved. Its assignee hears nothing.
		auto := taskEvent("e-auto", "task.created", "DONE", []string{"ulf"}, nil)
		autoOutcome := taskEvent("e-auto-2", "task.auto_approved", "DONE", []string{"ulf"}, nil)
		reassigned := taskEvent("e-reassign", "task.reassigned", "PENDING", []string{"mona", "ulf"}, []string{"mona"})
		dueEv := taskEvent("e-due", "task.due", "PENDING", []string{"mona"}, nil)
		dueEv.GetTaskChanged().DueTime = due
		done := &eventsv1.Event{Id: "e-done", Service: "grantflow-request", Action: "request.done", Subject: "requests/r1",
			RequestId: "r1", ActorId: auth.SystemUserID, Time: timestamppb.Now(),
			Payload: &eventsv1.Event_RequestChanged{RequestChanged: &eventsv1.RequestChanged{Type: "GRANT_ACCESS", Status: "DONE",
				RequesterId: "uma", TargetUserId: "uma", AppId: "figma", Permission: "editor"}}}
		launched := &eventsv1.Event{Id: "e-launch", Service: "grantflow-review", Action: "accessReview.launched", Subject: "accessReviews/c1",
			ActorId: "admin", Time: timestamppb.Now(),
			Payload: &eventsv1.Event_AccessReviewChanged{AccessReviewChanged: &eventsv1.AccessReviewChanged{AccessReviewId: "c1",
				Name: "Q4 review", Status: "ACTIVE", ItemReviewerIds: []string{"mona", "mona"}, DueTime: due}}}
		expiring := &eventsv1.Event{Id: "e-exp", Service: "grantflow-identity", Action: "access.expiring", Subject: "users/uma",
			ActorId: auth.SystemUserID, Time: timestamppb.Now(),
			Payload: &eventsv1.Event_AccessChanged{AccessChanged: &eventsv1.AccessChanged{UserId: "uma", AppId: "figma",
				Permission: "editor", ExpireTime: due}}}
		h.deliver(opened, auto, autoOutcome, reassigned, dueEv, done, launched, expiring)
		h.deliver(opened, reassigned, done) // the relay sends again: nothing new

		// Who hears what: task opened -> mona, otto; reassigned -> ulf; due -> mona;
		// done -> uma; launched -> mona (once); expiring -> uma. Otto has no Slack account.
		type key struct{ user, kind, channel string }
		want := map[key]string{
			{"mona", "task_opened", "EMAIL"}: "/requests/r1", {"mona", "task_opened", "SLACK"}: "/requests/r1",
			{"otto", "task_opened", "EMAIL"}: "/requests/r1", {"otto", "task_opened", "SLACK"}: "/requests/r1",
			{"ulf", "task_reassigned", "EMAIL"}: "/requests/r1", {"ulf", "task_reassigned", "SLACK"}: "/requests/r1",
			{"mona", "task_due", "EMAIL"}: "/requests/r1", {"mona", "task_due", "SLACK"}: "/requests/r1",
			{"uma", "request_closed", "EMAIL"}: "/requests/r1", {"uma", "request_closed", "SLACK"}: "/requests/r1",
			{"mona", "review_launched", "EMAIL"}: "/reviews", {"mona", "review_launched", "SLACK"}: "/reviews",
			{"uma", "access_expiring", "EMAIL"}: "/request", {"uma", "access_expiring", "SLACK"}: "/request",
		}
		list := h.settledMessages(len(want))
		for _, n := range list {
			k := key{n.GetUserId(), n.GetKind(), n.GetChannel().String()}
			path, ok := want[k]
			if !ok {
				t.Errorf("unexpected message %v", k)
				continue
			}
			delete(want, k)
			if n.GetLink() != consoleURL+path {
				t.Errorf("%v: link %q, want %q", k, n.GetLink(), consoleURL+path)
			}
			if !strings.Contains(n.GetText(), n.GetLink()) {
				t.Errorf("%v: the text does not carry the link: %q", k, n.GetText())
			}
			wantStatus := notificationv1.Notification_SENT
			if k.user == "otto" && k.channel == "SLACK" {
				wantStatus = notificationv1.Notification_FAILED // no Slack user: failed for good, at once
				if n.GetAttempts() != 1 || !strings.Contains(n.GetLastError(), "users_not_found") {
					t.Errorf("otto's Slack message: attempts %d, error %q", n.GetAttempts(), n.GetLastError())
				}
			}
			if n.GetStatus() != wantStatus {
				t.Errorf("%v: status %s (%s), want %s", k, n.GetStatus(), n.GetLastError(), wantStatus)
			}
		}
		for k := range want {
			t.Errorf("missing message %v", k)
		}

		// What the SMTP server got: one email each, from the sender, saying what is asked.
		mails := m.smtp.Mails()
		if len(mails) != 7 {
			t.Fatalf("%d emails, want 7: %+v", len(mails), mails)
		}
		count := map[string]int{}
		for _, ml := range mails {
			count[ml.To]++
			if ml.From != "grantflow@example.com" || !ml.TLS {
				t.Errorf("email from %q (over TLS: %v)", ml.From, ml.TLS)
			}
		}
		if count["mona@example.com"] != 3 || count["otto@example.com"] != 1 || count["ulf@example.com"] != 1 || count["uma@example.com"] != 2 {
			t.Errorf("emails per person = %v", count)
		}
		otto := findMail(mails, "otto@example.com")
		subject, body := otto.Subject, otto.Body
		if subject != "Action needed: review Uma User's request for Figma editor (GRANT_ACCESS)" {
			t.Errorf("otto's email: subject %q", subject)
		}
		for _, s := range []string{"A task waits for you", "Step: Manager approval", consoleURL + "/requests/r1"} {
			if !strings.Contains(body, s) {
				t.Errorf("otto's email lacks %q:\n%s", s, body)
			}
		}
		if ulf := findMail(mails, "ulf@example.com"); !strings.HasPrefix(ulf.Subject, "Assigned to you: ") {
			t.Errorf("ulf's email (the reassignment, not the auto-approved task): %q", ulf.Subject)
		}
		// What Slack got: one direct message per person and notice, in the person's DM.
		posts := m.slack.Posts()
		if len(posts) != 6 {
			t.Fatalf("%d Slack messages, want 6: %+v", len(posts), posts)
		}
		perChannel := map[string]int{}
		for _, p := range posts {
			perChannel[p.Channel]++
			if !strings.Contains(p.Text, consoleURL+"/") {
				t.Errorf("Slack message without a link: %q", p.Text)
			}
		}
		if perChannel["D-U-MONA"] != 3 || perChannel["D-U-ULF"] != 1 || perChannel["D-U-UMA"] != 2 {
			t.Errorf("Slack messages per DM = %v", perChannel)
		}
	})
}

func findMail(ms []messagingtest.Mail, to string) messagingtest.Mail {
	for _, m := range ms {
		if m.To == to {
			return m
		}
	}
	return messagingtest.Mail{}
}

// TestChannelDown: while the SMTP server refuses (451) and Slack answers 503, messages
// stay PENDING and are retried; when the channels come back, each goes out once.
func TestChannelDown(t *testing.T) {
	withMessaging(t, nil, func(t *testing.T, h *harness, m *messaging) {
		m.smtp.Down.Store(true)
		m.slack.Down.Store(true)
		h.deliver(taskEvent("e-open", "task.created", "PENDING", []string{"mona"}, nil))
		eventually(t, "retries against the channels that are down", func() bool {
			return m.smtp.Refused.Load() >= 2 && m.slack.Refused.Load() >= 2
		})
		r, err := h.notif.ListNotifications(as("mona-key"), &notificationv1.ListNotificationsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range r.GetNotifications() {
			if n.GetStatus() != notificationv1.Notification_PENDING || n.GetLastError() == "" {
				t.Fatalf("while down: %v", n)
			}
		}
		m.smtp.Down.Store(false)
		m.slack.Down.Store(false)
		list := h.settledMessages(2)
		for _, n := range list {
			if n.GetStatus() != notificationv1.Notification_SENT || n.GetAttempts() < 2 {
				t.Errorf("after the channels came back: %v", n)
			}
		}
		if got := len(m.smtp.Mails()); got != 1 {
			t.Errorf("%d emails, want 1", got)
		}
		if got := len(m.slack.Posts()); got != 1 {
			t.Errorf("%d Slack messages, want 1", got)
		}
	})
}

// TestNotificationSettings: the defaults follow what is configured; a person turns a
// channel off for themselves; the log is one's own unless Admin or GM.
func TestNotificationSettings(t *testing.T) {
	withMessaging(t, nil, func(t *testing.T, h *harness, m *messaging) {
		got, err := h.notif.GetNotificationSettings(as("mona-key"), &notificationv1.GetNotificationSettingsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if !got.GetEmail() || !got.GetSlack() || !got.GetEmailConfigured() || !got.GetSlackConfigured() || got.GetUserId() != "mona" {
			t.Fatalf("defaults = %v", got)
		}
		got, err = h.notif.UpdateNotificationSettings(as("mona-key"), &notificationv1.UpdateNotificationSettingsRequest{
			Settings: &notificationv1.NotificationSettings{Email: new(false)}})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetEmail() || !got.GetSlack() || got.GetUpdateTime() == nil {
			t.Fatalf("after PATCH email=false: %v", got)
		}
		// Nothing to change, an unknown field: 400, nothing written.
		for _, bad := range []*notificationv1.UpdateNotificationSettingsRequest{
			{Settings: &notificationv1.NotificationSettings{}},
			{Settings: &notificationv1.NotificationSettings{Slack: new(false)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"sms"}}},
		} {
			if _, err := h.notif.UpdateNotificationSettings(as("mona-key"), bad); status.Code(err) != codes.InvalidArgument {
				t.Errorf("%v: %v, want INVALID_ARGUMENT", bad, err)
			}
		}
		if _, err := h.notif.GetNotificationSettings(context.Background(), &notificationv1.GetNotificationSettingsRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("no credentials: %v", err)
		}

		h.deliver(taskEvent("e-open", "task.created", "PENDING", []string{"mona", "uma"}, nil))
		list := h.settledMessages(3) // mona: Slack only; uma: both
		for _, n := range list {
			if n.GetUserId() == "mona" && n.GetChannel() != notificationv1.Notification_SLACK {
				t.Errorf("mona turned email off, got %v", n)
			}
		}
		if len(m.smtp.Mails()) != 1 {
			t.Errorf("emails: %v", m.smtp.Mails())
		}

		// The log: one's own; naming another is 403 for a user, fine for Admin and GM.
		own, err := h.notif.ListNotifications(as("user-key"), &notificationv1.ListNotificationsRequest{})
		if err != nil || len(own.GetNotifications()) != 2 {
			t.Fatalf("uma's own log: %v %v", own, err)
		}
		for _, n := range own.GetNotifications() {
			if n.GetUserId() != "uma" {
				t.Errorf("uma sees %v", n)
			}
		}
		if _, err := h.notif.ListNotifications(as("user-key"), &notificationv1.ListNotificationsRequest{UserId: "mona"}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("uma listing mona's: %v, want PERMISSION_DENIED", err)
		}
		monas, err := h.notif.ListNotifications(as("gm-key"), &notificationv1.ListNotificationsRequest{UserId: "mona"})
		if err != nil || len(monas.GetNotifications()) != 1 {
			t.Fatalf("the GM listing mona's: %v %v", monas, err)
		}
		page, err := h.notif.ListNotifications(as("admin-key"), &notificationv1.ListNotificationsRequest{PageSize: 2})
		if err != nil || len(page.GetNotifications()) != 2 || page.GetNextPageToken() == "" {
			t.Fatalf("page 1: %v %v", page, err)
		}
		rest, err := h.notif.ListNotifications(as("admin-key"), &notificationv1.ListNotificationsRequest{PageSize: 2, PageToken: page.GetNextPageToken()})
		if err != nil || len(rest.GetNotifications()) != 1 || rest.GetNextPageToken() != "" {
			t.Fatalf("page 2: %v %v", rest, err)
		}
		if _, err := h.notif.ListNotifications(as("user-key"), &notificationv1.ListNotificationsRequest{PageToken: page.GetNextPageToken()}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("another log's page token: %v, want INVALID_ARGUMENT", err)
		}
	})
}

// TestBrokenChannelConfig: a broken SMTP or Slack configuration is reported at start; the
// service runs on without that channel (settings say so; no messages are made for it).
func TestBrokenChannelConfig(t *testing.T) {
	var logs syncBuffer
	m := newMessaging(t)
	m.smtpURL, m.smtpFrom = "ftp://mail.example.com", "grantflow@example.com"
	m.slackURL = "not a url" // and no token
	h := newHarness(t, config{messaging: m, logger: slog.New(slog.NewTextHandler(&logs, nil))})
	out := logs.String()
	for _, s := range []string{"email off: broken configuration: GRANTFLOW_SMTP_URL", "Slack off: broken configuration: GRANTFLOW_SLACK_BOT_TOKEN"} {
		if !strings.Contains(out, s) {
			t.Errorf("the start log lacks %q:\n%s", s, out)
		}
	}
	got, err := h.notif.GetNotificationSettings(as("mona-key"), &notificationv1.GetNotificationSettingsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetEmailConfigured() || got.GetSlackConfigured() || got.GetEmail() || got.GetSlack() {
		t.Fatalf("settings with both channels broken: %v", got)
	}
	// Webhooks still work, and events make no messages.
	h.deliver(taskEvent("e-open", "task.created", "PENDING", []string{"mona"}, nil))
	r, err := h.notif.ListNotifications(as("admin-key"), &notificationv1.ListNotificationsRequest{})
	if err != nil || len(r.GetNotifications()) != 0 {
		t.Fatalf("messages with both channels broken: %v %v", r, err)
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
