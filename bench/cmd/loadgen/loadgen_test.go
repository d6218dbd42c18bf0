package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	var samples []sample
	for i := 1; i <= 100; i++ {
		samples = append(samples, sample{start: time.Duration(i) * time.Millisecond, dur: time.Duration(i) * time.Millisecond, ok: true})
	}
	samples = append(samples, sample{start: 50 * time.Millisecond, ok: false})
	s := summarize(samples, 0, time.Second)
	if s.Count != 101 || s.Errors != 1 || s.P50 != 50 || s.P99 != 99 || s.Max != 100 {
		t.Errorf("%+v", s)
	}
	// Only calls that started inside the window count.
	if s := summarize(samples, 90*time.Millisecond, time.Second); s.Count != 11 || s.P50 != 95 {
		t.Errorf("window: %+v", s)
	}
}

// fakeAPI is an engine in memory: each step's task opens after a few polls, as the
// asynchronous hand-offs of the real one do.
type fakeAPI struct {
	mu       sync.Mutex
	changed  *sync.Cond // on mu: a request changed
	requests map[string]*fakeRequest
	keys     map[string]bool // keys seen on calls
	watches  int
	inboxes  int // of the watches, those of an inbox
}

type fakeRequest struct {
	step    int // 0 manager review, 1 owner review, 2 action, 3 done
	polls   int
	history []request // the request after each change: version i+1 at i
}

func newFakeAPI() *fakeAPI {
	f := &fakeAPI{requests: map[string]*fakeRequest{}, keys: map[string]bool{}}
	f.changed = sync.NewCond(&f.mu)
	return f
}

// fakeChanges replays a fake request's history from a version on, waiting for the next.
type fakeChanges struct {
	f     *fakeAPI
	r     *fakeRequest
	after int64
}

func (f *fakeAPI) Watch(_ context.Context, key, id string, after int64) (changes, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[key] = true
	f.watches++
	return &fakeChanges{f: f, r: f.requests[id], after: after}, nil
}

func (w *fakeChanges) Next() (request, error) {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	for int64(len(w.r.history)) <= w.after {
		if last := w.r.history[len(w.r.history)-1]; last.Status == "DONE" {
			return request{}, io.EOF
		}
		w.f.changed.Wait()
	}
	w.after++
	return w.r.history[w.after-1], nil
}

func (w *fakeChanges) Close() {}

// fakeInbox is an inbox watch narrowed to one fake request: each change of the request
// from the opening on shows the task it opened (steps 1 and 2 are the owner's).
type fakeInbox struct{ fakeChanges }

func (f *fakeAPI) WatchInbox(_ context.Context, key, id string) (inbox, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[key] = true
	f.watches++
	f.inboxes++
	r := f.requests[id]
	return &fakeInbox{fakeChanges{f: f, r: r, after: int64(len(r.history))}}, nil
}

func (w *fakeInbox) Next() (task, error) {
	got, err := w.fakeChanges.Next()
	if err != nil {
		return task{}, err
	}
	step := len(got.TaskIDs) - 1
	typ := "REVIEW"
	if step == 2 {
		typ = "ACTION"
	}
	if got.Status == "DONE" {
		return task{ID: got.TaskIDs[2], Type: "ACTION", StepIndex: 2, Status: "DONE"}, nil
	}
	return task{ID: got.TaskIDs[step], Type: typ, StepIndex: step, Status: "PENDING"}, nil
}

func (f *fakeAPI) Submit(_ context.Context, key, appID, _ string) (request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[key] = true
	id := fmt.Sprintf("r-%d", len(f.requests))
	r := request{ID: id, Status: "IN_PROGRESS", TaskIDs: []string{id + "/0"}, Version: 1}
	f.requests[id] = &fakeRequest{history: []request{r}}
	return r, nil
}

func (f *fakeAPI) GetRequest(_ context.Context, key, id string) (request, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.requests[id]
	r.polls++
	if r.step == 3 && r.polls > 2 {
		return request{ID: id, Status: "DONE"}, nil
	}
	return request{ID: id, Status: "IN_PROGRESS"}, nil
}

func (f *fakeAPI) PendingTasks(_ context.Context, key, id string) ([]task, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[key] = true
	r := f.requests[id]
	r.polls++
	if r.polls < 3 || r.step == 0 || r.step == 3 {
		return nil, nil
	}
	typ := "REVIEW"
	if r.step == 2 {
		typ = "ACTION"
	}
	return []task{{ID: fmt.Sprintf("%s/%d", id, r.step), Type: typ, StepIndex: r.step, Status: "PENDING"}}, nil
}

func (f *fakeAPI) decide(key, taskID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[key] = true
	id, step := "", -1
	for rid, r := range f.requests {
		if taskID == fmt.Sprintf("%s/%d", rid, r.step) {
			id, step = rid, r.step
		}
	}
	r, ok := f.requests[id]
	if !ok || r.step != step {
		return fmt.Errorf("task %s is not pending", taskID)
	}
	r.step++
	r.polls = 0
	next := r.history[len(r.history)-1]
	next.Version++
	next.TaskIDs = append(slices.Clip(next.TaskIDs), fmt.Sprintf("%s/%d", id, r.step))
	if r.step == 3 {
		next.Status, next.TaskIDs = "DONE", next.TaskIDs[:3]
	}
	r.history = append(r.history, next)
	f.changed.Broadcast()
	return nil
}

func (f *fakeAPI) Approve(_ context.Context, key, taskID string) error  { return f.decide(key, taskID) }
func (f *fakeAPI) Complete(_ context.Context, key, taskID string) error { return f.decide(key, taskID) }
func (f *fakeAPI) Close()                                               {}

func testSeed() *seedFile {
	return &seedFile{Permission: "read",
		Requesters: []person{{ID: "u0", Key: "k-u0"}, {ID: "u1", Key: "k-u1", Manager: 1}},
		Managers:   []person{{ID: "m0", Key: "k-m0"}, {ID: "m1", Key: "k-m1"}},
		Owners:     []person{{ID: "o0", Key: "k-o0"}},
		Apps:       []seededApp{{ID: "a0"}, {ID: "a1"}},
	}
}

func TestLifecycleWalksEveryStepAsTheRightPeople(t *testing.T) {
	f := newFakeAPI()
	r := &lifeRunner{api: f, seed: testSeed(), rec: newRecorder(time.Now()), pollMin: time.Millisecond, pollMax: 2 * time.Millisecond, timeout: 30 * time.Second}
	for range 4 {
		if !r.one() {
			t.Fatalf("lifecycle failed: %v", r.rec.errs)
		}
	}
	if r.one() || !r.exhausted.Load() {
		t.Error("a fifth lifecycle ran on 4 pairs")
	}
	for _, k := range []string{"k-u0", "k-u1", "k-m0", "k-m1", "k-o0"} {
		if !f.keys[k] {
			t.Errorf("nobody called as %s", k)
		}
	}
	for _, name := range []string{"submit", "approve", "complete", "list-tasks", "get-request", "wait-owner-task", "wait-action-task", "wait-done"} {
		if len(r.rec.calls[name]) == 0 {
			t.Errorf("no %s recorded", name)
		}
	}
	if got := len(r.rec.calls["approve"]); got != 8 {
		t.Errorf("%d approvals, want 8", got)
	}
}

// TestWatchedLifecycleNeverPolls: with -watch, the lifecycle waits on two watches (the
// owner's inbox, then the requester's request) and polls nothing.
func TestWatchedLifecycleNeverPolls(t *testing.T) {
	f := newFakeAPI()
	r := &lifeRunner{api: f, seed: testSeed(), rec: newRecorder(time.Now()), timeout: 30 * time.Second, watch: true}
	for range 4 {
		if !r.one() {
			t.Fatalf("lifecycle failed: %v", r.rec.errs)
		}
	}
	if n := r.polls.Load(); n != 0 || len(r.rec.calls["list-tasks"])+len(r.rec.calls["get-request"]) != 0 {
		t.Errorf("%d polls with watches", n)
	}
	if f.watches != 8 || f.inboxes != 4 {
		t.Errorf("%d watches (%d of an inbox) for 4 lifecycles, want 8 (4)", f.watches, f.inboxes)
	}
	for _, name := range []string{"submit", "approve", "complete", "wait-owner-task", "wait-action-task", "wait-done"} {
		if len(r.rec.calls[name]) == 0 {
			t.Errorf("no %s recorded", name)
		}
	}
}

func TestRESTWatchReadsJSONLines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RequestURI() != "/v1/requests/r1:watch?afterVersion=2" || r.Header.Get("Authorization") != "Bearer key" {
			http.Error(w, `{"code":5}`, http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, `{"result":{"version":"3","request":{"id":"r1","status":"IN_PROGRESS","taskIds":["t1","t2"],"version":"3"}}}`+"\n")
		_, _ = io.WriteString(w, `{"result":{"version":"4","request":{"id":"r1","status":"DONE","taskIds":["t1","t2"],"version":"4"}}}`+"\n")
	}))
	defer srv.Close()
	w, err := newREST(srv.URL, 1).Watch(context.Background(), "key", "r1", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, want := range []request{{ID: "r1", Status: "IN_PROGRESS", TaskIDs: []string{"t1", "t2"}, Version: 3}, {ID: "r1", Status: "DONE", TaskIDs: []string{"t1", "t2"}, Version: 4}} {
		if got, err := w.Next(); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("next: %+v %v, want %+v", got, err, want)
		}
	}
	if _, err := w.Next(); err != io.EOF {
		t.Fatalf("after the last line: %v", err)
	}
}

func TestRESTClientSpeaksTheAPI(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Authorization")+" "+string(body))
		switch {
		case r.URL.Path == "/v1/requests" && r.Method == http.MethodPost:
			var in map[string]string
			if json.Unmarshal(body, &in) != nil || in["type"] != "GRANT_ACCESS" || in["appId"] != "a1" || in["permission"] != "read" {
				http.Error(w, `{"code":3}`, http.StatusBadRequest)
				return
			}
			_, _ = io.WriteString(w, `{"id":"r1","status":"IN_PROGRESS","taskIds":["t1"],"stepIndex":0,"policyVersion":"1"}`)
		case r.URL.Path == "/v1/tasks":
			_, _ = io.WriteString(w, `{"tasks":[{"id":"t2","type":"ACTION","stepIndex":2,"status":"PENDING"}],"nextPageToken":""}`)
		case r.URL.Path == "/v1/requests/r1":
			_, _ = io.WriteString(w, `{"id":"r1","status":"DONE"}`)
		default:
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{}`)
		}
	}))
	defer srv.Close()
	c := newREST(srv.URL, 1)
	ctx := context.Background()
	r, err := c.Submit(ctx, "key", "a1", "read")
	if err != nil || r.ID != "r1" || r.TaskIDs[0] != "t1" {
		t.Fatalf("submit: %+v %v", r, err)
	}
	tasks, err := c.PendingTasks(ctx, "key", "r1")
	if err != nil || len(tasks) != 1 || tasks[0].Type != "ACTION" || tasks[0].StepIndex != 2 {
		t.Fatalf("tasks: %+v %v", tasks, err)
	}
	if err := c.Approve(ctx, "key", "t1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Complete(ctx, "key", "t2"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetRequest(ctx, "key", "r1"); err != nil || got.Status != "DONE" {
		t.Fatalf("get: %+v %v", got, err)
	}
	want := []string{
		`POST /v1/requests Bearer key {"appId":"a1","permission":"read","reason":"load test","type":"GRANT_ACCESS"}`,
		`GET /v1/tasks?status=PENDING&requestId=r1 Bearer key `,
		`POST /v1/tasks/t1:approve Bearer key {"justification":"ok"}`,
		`POST /v1/tasks/t2:complete Bearer key {"note":"provisioned"}`,
		`GET /v1/requests/r1 Bearer key `,
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("calls:\n%q\nwant\n%q", seen, want)
	}
}

// TestRESTInboxWatchReadsJSONLines: the inbox watch asks GET /v1/tasks:watch for the
// request's tasks, takes the first line (the cursor alone) as the watch being in place, and
// reads each task after it, a removed one by its id.
func TestRESTInboxWatchReadsJSONLines(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RequestURI() != "/v1/tasks:watch?requestId=r1" || r.Header.Get("Authorization") != "Bearer key" {
			http.Error(w, `{"code":5}`, http.StatusNotFound)
			return
		}
		_, _ = io.WriteString(w, `{"result":{"cursor":"7"}}`+"\n")
		_, _ = io.WriteString(w, `{"result":{"cursor":"8","task":{"id":"t2","type":"REVIEW","stepIndex":1,"status":"PENDING"}}}`+"\n")
		_, _ = io.WriteString(w, `{"result":{"cursor":"9","removedTaskId":"t2"}}`+"\n")
	}))
	defer srv.Close()
	w, err := newREST(srv.URL, 1).WatchInbox(context.Background(), "key", "r1")
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, want := range []task{{ID: "t2", Type: "REVIEW", StepIndex: 1, Status: "PENDING"}, {ID: "t2", Status: "REMOVED"}} {
		if got, err := w.Next(); err != nil || got != want {
			t.Fatalf("next: %+v %v, want %+v", got, err, want)
		}
	}
	if _, err := w.Next(); err != io.EOF {
		t.Fatalf("after the last line: %v", err)
	}
}
