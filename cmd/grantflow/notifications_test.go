package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantflow/grantflow/pkg/messagingtest"
	"github.com/grantflow/grantflow/pkg/pgtest"
)

// testConsoleURL is the console address the tests' processes put in their messages; a
// link is followed by replacing it with the process's own address.
const testConsoleURL = "http://console.grantflow.test/console"

// TestNotificationsOverREST: the all-in-one with email (an SMTP server of the test) and
// Slack (a local fake of its Web API) on, both engines. A request's reviewer hears once per
// channel, with a link the console serves; a GM's auto-approved manager step tells nobody;
// the requester hears when the request closes; settings and the log over REST.
func TestNotificationsOverREST(t *testing.T) {
	for _, engine := range []string{"memory", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			o := systemOptions{smtp: messagingtest.NewPlainSMTPServer(t), slack: messagingtest.NewSlackAPI(t, map[string]string{})}
			for _, h := range []string{"grace", "ada", "mona", "otto", "uma", "ulf"} {
				o.slack.Users[h+"@demo.grantflow.dev"] = "U-" + strings.ToUpper(h)
			}
			if engine == "postgres" {
				o.postgresURL = pgtest.NewEmptyDatabase(t)
			}
			walkNotifications(t, startSystem(t, o), o)
		})
	}
}

// messagesOf waits until person's log (as the admin sees it) has want messages about
// request id, none pending, and returns them.
func (s *system) messagesOf(t *testing.T, person, requestID string, want int) []map[string]any {
	t.Helper()
	var got []map[string]any
	waitFor(t, person+"'s messages about "+requestID, func() (bool, string) {
		got = nil
		for _, n := range objects(s.must("ada", "GET", "/v1/notifications?pageSize=500&userId="+s.id[person], nil), "notifications") {
			if strings.HasSuffix(str(n, "link"), "/requests/"+requestID) {
				got = append(got, n)
			}
		}
		settled := len(got) == want
		for _, n := range got {
			settled = settled && str(n, "status") == "SENT"
		}
		return settled, fmt.Sprint(got)
	})
	return got
}

func walkNotifications(t *testing.T, s *system, o systemOptions) {
	figma := s.app["Figma"]
	// Uma asks for Figma editor: her manager Mona reviews first.
	req := s.must("uma", "POST", "/v1/requests", map[string]any{"requestId": uuid.NewString(), "type": "GRANT_ACCESS", "appId": figma, "permission": "editor", "reason": "design reviews"})
	id := str(req, "id")
	s.pendingTask(t, id, "mona")
	monas := s.messagesOf(t, "mona", id, 2)
	channels := map[string]bool{}
	for _, n := range monas {
		channels[str(n, "channel")] = true
		if str(n, "kind") != "task_opened" || !strings.Contains(str(n, "title"), "review Uma Chen's request for Figma editor (GRANT_ACCESS)") {
			t.Errorf("mona's message: %v", n)
		}
	}
	if !channels["EMAIL"] || !channels["SLACK"] {
		t.Errorf("mona's channels: %v", channels)
	}
	// The link works: the console serves its page.
	link := str(monas[0], "link")
	if !strings.HasPrefix(link, testConsoleURL+"/requests/") {
		t.Fatalf("link %q", link)
	}
	resp, body := s.do("", "GET", strings.Replace(link, testConsoleURL, "/console", 1), nil)
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(body), "<div id=") {
		t.Errorf("GET %s: %d %s", link, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	mail := findMail(o.smtp.Mails(), "mona@demo.grantflow.dev", id)
	if !strings.HasPrefix(mail.Subject, "Action needed: review Uma Chen's request for Figma editor") || !strings.Contains(mail.Body, link) {
		t.Errorf("mona's email: %q\n%s", mail.Subject, mail.Body)
	}

	// Mona declines: Uma hears, once per channel.
	task := s.pendingTask(t, id, "mona")
	s.must("mona", "POST", "/v1/tasks/"+task+":decline", map[string]any{"justification": "not now"})
	for _, n := range s.messagesOf(t, "uma", id, 2) {
		if str(n, "kind") != "request_closed" || !strings.Contains(str(n, "title"), "declined") {
			t.Errorf("uma's message: %v", n)
		}
	}

	// Grace (the GM) asks: her manager step is auto-approved and tells nobody; the owner
	// Otto hears of the step after it.
	req = s.must("grace", "POST", "/v1/requests", map[string]any{"requestId": uuid.NewString(), "type": "GRANT_ACCESS", "appId": figma, "permission": "editor"})
	gid := str(req, "id")
	s.pendingTask(t, gid, "otto")
	s.messagesOf(t, "otto", gid, 2)
	all := objects(s.must("ada", "GET", "/v1/notifications?pageSize=500", nil), "notifications")
	for _, n := range all {
		if strings.HasSuffix(str(n, "link"), "/requests/"+gid) && str(n, "userId") != s.id["otto"] {
			t.Errorf("a message about Grace's request to someone other than the owner: %v", n)
		}
	}

	s.walk(t, []step{
		{"my settings", "uma", "GET", "/v1/me/notificationSettings", nil, 200, func(b map[string]any) {
			if b["email"] != true || b["slack"] != true || b["emailConfigured"] != true || b["slackConfigured"] != true || str(b, "userId") != s.id["uma"] {
				t.Errorf("settings: %v", b)
			}
		}},
		{"turn Slack off", "uma", "PATCH", "/v1/me/notificationSettings", map[string]any{"slack": false}, 200, func(b map[string]any) {
			if b["email"] != true || b["slack"] != false {
				t.Errorf("settings: %v", b)
			}
		}},
		{"settings without credentials", "", "GET", "/v1/me/notificationSettings", nil, 401, nil},
		{"a bad mask", "uma", "PATCH", "/v1/me/notificationSettings?updateMask=sms", map[string]any{"slack": false}, 400, nil},
		{"my log", "uma", "GET", "/v1/notifications", nil, 200, func(b map[string]any) {
			for _, n := range objects(b, "notifications") {
				if str(n, "userId") != s.id["uma"] {
					t.Errorf("uma sees %v", n)
				}
			}
		}},
		{"another's log", "uma", "GET", "/v1/notifications?userId=" + s.id["mona"], nil, 403, nil},
		{"another's log as the GM", "grace", "GET", "/v1/notifications?userId=" + s.id["mona"], nil, 200, nil},
	})
}

// findMail is the email to to whose text names request id.
func findMail(ms []messagingtest.Mail, to, id string) messagingtest.Mail {
	for _, m := range ms {
		if m.To == to && strings.Contains(m.Body, "/requests/"+id) {
			return m
		}
	}
	return messagingtest.Mail{}
}
