package messagingtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// SlackToken is the bot token the fake accepts.
const SlackToken = "xoxb-test"

// SlackPost is one chat.postMessage the fake got.
type SlackPost struct {
	// Channel is the direct conversation: "D-" + the user id.
	Channel string
	Text    string
}

// SlackAPI is a local fake of Slack's Web API: users.lookupByEmail (over Users),
// conversations.open and chat.postMessage. It answers 503 while Down.
type SlackAPI struct {
	*httptest.Server
	// Users are the workspace's members, user id by email.
	Users map[string]string
	// Down makes every call answer 503 while true.
	Down atomic.Bool
	// Refused counts the calls answered 503.
	Refused atomic.Int32

	mu    sync.Mutex
	posts []SlackPost
}

// APIURL is the endpoint to configure (GRANTFLOW_SLACK_API_URL).
func (s *SlackAPI) APIURL() string { return s.URL + "/api/" }

// Posts returns the messages posted so far.
func (s *SlackAPI) Posts() []SlackPost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.posts)
}

// NewSlackAPI starts the fake with users (user id by email); it stops when t ends.
func NewSlackAPI(t testing.TB, users map[string]string) *SlackAPI {
	s := &SlackAPI{Users: users}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *SlackAPI) serve(w http.ResponseWriter, r *http.Request) {
	if s.Down.Load() {
		s.Refused.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	// The token as Slack takes it: a form field or the Authorization header.
	if r.Form.Get("token") != SlackToken && r.Header.Get("Authorization") != "Bearer "+SlackToken {
		fmt.Fprint(w, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	switch strings.TrimPrefix(r.URL.Path, "/api/") {
	case "users.lookupByEmail":
		id, ok := s.Users[r.Form.Get("email")]
		if !ok {
			fmt.Fprint(w, `{"ok":false,"error":"users_not_found"}`)
			return
		}
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q}}`, id)
	case "conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D-%s"}}`, r.Form.Get("users"))
	case "chat.postMessage":
		s.mu.Lock()
		s.posts = append(s.posts, SlackPost{Channel: r.Form.Get("channel"), Text: r.Form.Get("text")})
		s.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"1.0"}`, r.Form.Get("channel"))
	default:
		http.NotFound(w, r)
	}
}
