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
)

// changes is one watch of a request (RequestService.WatchRequest): Next returns the request
// after each change, in order, and io.EOF once the request is closed.
type changes interface {
	Next() (request, error)
	Close()
}

// --- REST: GET /v1/requests/{id}:watch, one {"result": RequestChange} per line ------------

type restChanges struct {
	body io.ReadCloser
	sc   *bufio.Scanner
}

func (c *restAPI) Watch(ctx context.Context, key, id string, after int64) (changes, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		c.base+"/v1/requests/"+url.PathEscape(id)+":watch?afterVersion="+strconv.FormatInt(after, 10), nil)
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
	return &restChanges{body: res.Body, sc: sc}, nil
}

func (w *restChanges) Next() (request, error) {
	if !w.sc.Scan() {
		if err := w.sc.Err(); err != nil {
			return request{}, err
		}
		return request{}, io.EOF
	}
	var line struct {
		Result *struct {
			Request request `json:"request"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(w.sc.Bytes(), &line); err != nil {
		return request{}, fmt.Errorf("watch: %w", err)
	}
	if line.Result == nil {
		return request{}, fmt.Errorf("watch failed: %s", line.Error)
	}
	return line.Result.Request, nil
}

func (w *restChanges) Close() { w.body.Close() }

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
