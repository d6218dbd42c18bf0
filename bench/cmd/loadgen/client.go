package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// request and task are what the harness reads of the API's resources.
type request struct {
	ID        string   `json:"id"`
	Status    string   `json:"status"`
	StepIndex int      `json:"stepIndex"`
	TaskIDs   []string `json:"taskIds"`
	Version   int64    `json:"version,string"`
}

type task struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	StepIndex int    `json:"stepIndex"`
	Status    string `json:"status"`
}

// api is one way of calling Grantflow's public API: REST through the gateway, or gRPC
// straight to the owning services. Every call carries the caller's API key.
type api interface {
	Submit(ctx context.Context, key, appID, permission string) (request, error)
	GetRequest(ctx context.Context, key, id string) (request, error)
	// PendingTasks lists the caller's pending tasks of one request.
	PendingTasks(ctx context.Context, key, requestID string) ([]task, error)
	Approve(ctx context.Context, key, taskID string) error
	Complete(ctx context.Context, key, taskID string) error
	// Watch opens a watch of request id from version after on.
	Watch(ctx context.Context, key, id string, after int64) (changes, error)
	// WatchInbox opens the caller's inbox watch (WatchTasks) from now on, narrowed to the
	// tasks of request requestID; it returns once the watch is in place.
	WatchInbox(ctx context.Context, key, requestID string) (inbox, error)
	Close()
}

// --- REST -------------------------------------------------------------------------------

type restAPI struct {
	base string
	http *http.Client
	// stream is http without the overall timeout, for watches (the lifecycle's context
	// bounds them).
	stream *http.Client
}

func newREST(base string, conns int) *restAPI {
	tr := &http.Transport{
		MaxIdleConns:        conns + 16,
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
	}
	return &restAPI{base: base, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}, stream: &http.Client{Transport: tr}}
}

// httpError is a non-2xx answer.
type httpError struct {
	Status int
	Body   string
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

func (c *restAPI) do(ctx context.Context, method, path, key string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode/100 != 2 {
		if len(b) > 300 {
			b = b[:300]
		}
		return &httpError{Status: res.StatusCode, Body: string(b)}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

func (c *restAPI) Submit(ctx context.Context, key, appID, permission string) (request, error) {
	var r request
	err := c.do(ctx, http.MethodPost, "/v1/requests", key, map[string]string{
		"type": "GRANT_ACCESS", "appId": appID, "permission": permission, "reason": "load test",
	}, &r)
	return r, err
}

func (c *restAPI) GetRequest(ctx context.Context, key, id string) (request, error) {
	var r request
	err := c.do(ctx, http.MethodGet, "/v1/requests/"+url.PathEscape(id), key, nil, &r)
	return r, err
}

func (c *restAPI) PendingTasks(ctx context.Context, key, requestID string) ([]task, error) {
	var out struct {
		Tasks []task `json:"tasks"`
	}
	err := c.do(ctx, http.MethodGet, "/v1/tasks?status=PENDING&requestId="+url.QueryEscape(requestID), key, nil, &out)
	return out.Tasks, err
}

func (c *restAPI) Approve(ctx context.Context, key, taskID string) error {
	return c.do(ctx, http.MethodPost, "/v1/tasks/"+url.PathEscape(taskID)+":approve", key, map[string]string{"justification": "ok"}, nil)
}

func (c *restAPI) Complete(ctx context.Context, key, taskID string) error {
	return c.do(ctx, http.MethodPost, "/v1/tasks/"+url.PathEscape(taskID)+":complete", key, map[string]string{"note": "provisioned"}, nil)
}

func (c *restAPI) Close() { c.http.CloseIdleConnections() }

// --- gRPC -------------------------------------------------------------------------------

type grpcAPI struct {
	conns    []*grpc.ClientConn
	requests requestv1.RequestServiceClient
	tasks    taskv1.TaskServiceClient
}

func dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

func newGRPC(requestAddr, taskAddr string) (*grpcAPI, error) {
	rc, err := dial(requestAddr)
	if err != nil {
		return nil, err
	}
	tc, err := dial(taskAddr)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &grpcAPI{conns: []*grpc.ClientConn{rc, tc}, requests: requestv1.NewRequestServiceClient(rc), tasks: taskv1.NewTaskServiceClient(tc)}, nil
}

func bearer(ctx context.Context, key string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+key)
}

func fromPB(r *requestv1.Request) request {
	return request{ID: r.GetId(), Status: r.GetStatus().String(), StepIndex: int(r.GetStepIndex()), TaskIDs: r.GetTaskIds(), Version: r.GetVersion()}
}

func (c *grpcAPI) Submit(ctx context.Context, key, appID, permission string) (request, error) {
	r, err := c.requests.SubmitRequest(bearer(ctx, key), &requestv1.SubmitRequestRequest{
		Type: typev1.RequestType_GRANT_ACCESS, AppId: appID, Permission: permission, Reason: "load test",
	})
	return fromPB(r), err
}

func (c *grpcAPI) GetRequest(ctx context.Context, key, id string) (request, error) {
	r, err := c.requests.GetRequest(bearer(ctx, key), &requestv1.GetRequestRequest{Id: id})
	return fromPB(r), err
}

func (c *grpcAPI) PendingTasks(ctx context.Context, key, requestID string) ([]task, error) {
	res, err := c.tasks.ListTasks(bearer(ctx, key), &taskv1.ListTasksRequest{RequestId: requestID, Status: taskv1.Task_PENDING})
	if err != nil {
		return nil, err
	}
	out := make([]task, 0, len(res.GetTasks()))
	for _, t := range res.GetTasks() {
		out = append(out, task{ID: t.GetId(), Type: t.GetType().String(), StepIndex: int(t.GetStepIndex()), Status: t.GetStatus().String()})
	}
	return out, nil
}

func (c *grpcAPI) Approve(ctx context.Context, key, taskID string) error {
	_, err := c.tasks.ApproveTask(bearer(ctx, key), &taskv1.ApproveTaskRequest{Id: taskID, Justification: "ok"})
	return err
}

func (c *grpcAPI) Complete(ctx context.Context, key, taskID string) error {
	_, err := c.tasks.CompleteTask(bearer(ctx, key), &taskv1.CompleteTaskRequest{Id: taskID, Note: "provisioned"})
	return err
}

func (c *grpcAPI) Close() {
	for _, cc := range c.conns {
		cc.Close()
	}
}
