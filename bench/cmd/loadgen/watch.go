package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
)

// changes is one watch of a request (RequestService.WatchRequest): Next returns the request
// after each change, in order, and io.EOF once the request is closed.
type changes interface {
	Next() (request, error)
	Close()
}

// --- REST: GET /v1/requests/{id}:watch, one {"result": RequestChange} per line ------------

// jsonLines is a REST stream's answer: one {"result": ...} or {"error": ...} per line.
type jsonLines struct {
	body io.ReadCloser
	sc   *bufio.Scanner
}

// openLines GETs path as the holder of key and returns the stream of its answer.
func (c *restAPI) openLines(ctx context.Context, key, path string) (*jsonLines, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := c.stream.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return nil, &httpError{Status: res.StatusCode, Body: string(b)}
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	return &jsonLines{body: res.Body, sc: sc}, nil
}

// next reads the next line's result into result; io.EOF once the stream ended.
func (l *jsonLines) next(result any) error {
	if !l.sc.Scan() {
		if err := l.sc.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	var line struct {
		Result json.RawMessage `json:"result"`
		Error  json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(l.sc.Bytes(), &line); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	if line.Result == nil {
		return fmt.Errorf("watch failed: %s", line.Error)
	}
	if err := json.Unmarshal(line.Result, result); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	return nil
}

func (l *jsonLines) Close() { l.body.Close() }

type restChanges struct{ *jsonLines }

func (c *restAPI) Watch(ctx context.Context, key, id string, after int64) (changes, error) {
	l, err := c.openLines(ctx, key, "/v1/requests/"+url.PathEscape(id)+":watch?afterVersion="+strconv.FormatInt(after, 10))
	if err != nil {
		return nil, err
	}
	return restChanges{l}, nil
}

func (w restChanges) Next() (request, error) {
	var c struct {
		Request request `json:"request"`
	}
	err := w.next(&c)
	return c.Request, err
}

// --- gRPC --------------------------------------------------------------------------------

type grpcChanges struct {
	stream requestv1.RequestService_WatchRequestClient
	cancel context.CancelFunc
}

func (c *grpcAPI) Watch(ctx context.Context, key, id string, after int64) (changes, error) {
	ctx, cancel := context.WithCancel(ctx)
	s, err := c.requests.WatchRequest(bearer(ctx, key), &requestv1.WatchRequestRequest{Id: id, AfterVersion: after})
	if err != nil {
		cancel()
		return nil, err
	}
	return &grpcChanges{stream: s, cancel: cancel}, nil
}

func (w *grpcChanges) Next() (request, error) {
	c, err := w.stream.Recv()
	if err != nil {
		return request{}, err
	}
	return fromPB(c.GetRequest()), nil
}

func (w *grpcChanges) Close() { w.cancel() }

// --- the waits of a lifecycle, on a watch -----------------------------------------------

// openWatch opens a watch of request id after version; the wait it begins is what's, which
// watchFor records (from the opening on).
func (r *lifeRunner) openWatch(ctx context.Context, what, key, id string, after int64) (changes, error) {
	t0 := time.Now()
	w, err := r.api.Watch(ctx, key, id, after)
	if err != nil {
		r.rec.add(what, t0, time.Since(t0), err)
		return nil, fmt.Errorf("%s: watch: %w", what, err)
	}
	return &timedChanges{changes: w, opened: t0}, nil
}

// timedChanges remembers when its watch was opened: the first wait counts from there.
type timedChanges struct {
	changes
	opened time.Time
}

// watchFor reads w until cond holds for the request; the wait is recorded as what. A
// request closed in another state than cond expects fails.
func (r *lifeRunner) watchFor(w changes, what, id string, cond func(request) bool) (request, error) {
	t0 := time.Now()
	if tc, ok := w.(*timedChanges); ok && !tc.opened.IsZero() {
		t0, tc.opened = tc.opened, time.Time{}
	}
	for {
		got, err := w.Next()
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("request %s closed before %s", id, what)
		}
		if err == nil && cond(got) {
			r.rec.add(what, t0, time.Since(t0), nil)
			return got, nil
		}
		if err == nil && got.Status != "IN_PROGRESS" && got.Status != "DONE" {
			err = fmt.Errorf("request %s closed %s", id, got.Status)
		}
		if err != nil {
			r.rec.add(what, t0, time.Since(t0), err)
			return got, fmt.Errorf("%s: %w", what, err)
		}
	}
}

// inbox is one watch of a person's inbox (TaskService.WatchTasks), from the moment it
// opened, narrowed to one request's tasks: Next returns each task after each change, in
// order (a task that left the inbox comes with its id only).
type inbox interface {
	Next() (task, error)
	Close()
}

// --- REST: GET /v1/tasks:watch, one {"result": TaskChange} per line ---------------------

type restInbox struct{ *jsonLines }

// WatchInbox opens the caller's inbox watch from now, narrowed to requestID's tasks, and
// returns once the server answered its first message (the cursor): the changes that commit
// from then on come through Next.
func (c *restAPI) WatchInbox(ctx context.Context, key, requestID string) (inbox, error) {
	l, err := c.openLines(ctx, key, "/v1/tasks:watch?requestId="+url.QueryEscape(requestID))
	if err != nil {
		return nil, err
	}
	w := restInbox{l}
	if _, err := w.Next(); err != nil { // the cursor alone: the watch is in place
		w.Close()
		return nil, err
	}
	return w, nil
}

func (w restInbox) Next() (task, error) {
	var c struct {
		Task          task   `json:"task"`
		RemovedTaskID string `json:"removedTaskId"`
	}
	if err := w.next(&c); err != nil {
		return task{}, err
	}
	if c.RemovedTaskID != "" {
		return task{ID: c.RemovedTaskID, Status: "REMOVED"}, nil
	}
	return c.Task, nil
}

// --- gRPC --------------------------------------------------------------------------------

type grpcInbox struct {
	stream taskv1.TaskService_WatchTasksClient
	cancel context.CancelFunc
}

func (c *grpcAPI) WatchInbox(ctx context.Context, key, requestID string) (inbox, error) {
	ctx, cancel := context.WithCancel(ctx)
	s, err := c.tasks.WatchTasks(bearer(ctx, key), &taskv1.WatchTasksRequest{RequestId: requestID})
	if err != nil {
		cancel()
		return nil, err
	}
	w := &grpcInbox{stream: s, cancel: cancel}
	if _, err := w.Next(); err != nil { // the cursor alone: the watch is in place
		cancel()
		return nil, err
	}
	return w, nil
}

func (w *grpcInbox) Next() (task, error) {
	c, err := w.stream.Recv()
	if err != nil {
		return task{}, err
	}
	if id := c.GetRemovedTaskId(); id != "" {
		return task{ID: id, Status: "REMOVED"}, nil
	}
	t := c.GetTask()
	return task{ID: t.GetId(), Type: t.GetType().String(), StepIndex: int(t.GetStepIndex()), Status: t.GetStatus().String()}, nil
}

func (w *grpcInbox) Close() { w.cancel() }

// --- the waits for a task, on an inbox watch -------------------------------------------

// openInbox opens the inbox watch of the person with key, narrowed to request id; the wait
// it begins is what's, which inboxFor records (from the opening on).
func (r *lifeRunner) openInbox(ctx context.Context, what, key, id string) (inbox, time.Time, error) {
	t0 := time.Now()
	w, err := r.api.WatchInbox(ctx, key, id)
	if err != nil {
		r.rec.add(what, t0, time.Since(t0), err)
		return nil, t0, fmt.Errorf("%s: inbox watch: %w", what, err)
	}
	return w, t0, nil
}

// inboxFor reads w until the pending task of typ at step shows up, and returns its id; the
// wait, from t0, is recorded as what.
func (r *lifeRunner) inboxFor(w inbox, t0 time.Time, what, requestID, typ string, step int) (string, error) {
	for {
		got, err := w.Next()
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("inbox watch ended before step %d of %s opened", step, requestID)
		}
		if err != nil {
			r.rec.add(what, t0, time.Since(t0), err)
			return "", fmt.Errorf("%s: %w", what, err)
		}
		if got.Type == typ && got.StepIndex == step && got.Status == "PENDING" {
			r.rec.add(what, t0, time.Since(t0), nil)
			return got.ID, nil
		}
	}
}
