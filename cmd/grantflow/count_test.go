package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/grantflow/grantflow/pkg/memstore"
)

// TestCountSubmitAndApproval counts, on the all-in-one with its memory engines, what one
// submit and one approval cost: the gRPC calls the shared server serves and the store
// transactions committed, while the caller waits and in all until the system is quiet
// again (every outbox delivered and acknowledged: the relays' deliveries, the request
// service's own work queue, and the events every service sends audit). It logs the counts
// (docs/ARCHITECTURE.md, "A request's path", quotes them) and checks only what must hold
// whatever the pipeline: the submit's own call and the step it opens, the approval's own
// call and the next step it opens.
func TestCountSubmitAndApproval(t *testing.T) {
	var mu sync.Mutex
	var calls []string // "service method", as served
	mark := memstore.Outboxes()
	s := startSystem(t, systemOptions{onServe: func(_ context.Context, service, method string) {
		mu.Lock()
		calls = append(calls, service+" "+strings.TrimPrefix(method, "/grantflow."))
		mu.Unlock()
	}})
	quiet := func(what string) {
		t.Helper()
		waitFor(t, what, func() (bool, string) {
			n := memstore.UndeliveredSince(mark)
			return n == 0, fmt.Sprintf("%d events not delivered yet", n)
		})
	}
	type cost struct {
		waitCalls, waitCommits, calls, commits, acks int
		by                                           map[string]int
	}
	measure := func(name string, do func()) cost {
		t.Helper()
		quiet("quiet before " + name)
		mu.Lock()
		from := len(calls)
		mu.Unlock()
		commits, acks := memstore.Commits(), memstore.Acks()
		do()
		mu.Lock()
		waitCalls := len(calls) - from
		mu.Unlock()
		waitCommits := memstore.Commits() - commits
		quiet("quiet after " + name)
		mu.Lock()
		defer mu.Unlock()
		c := cost{waitCalls: waitCalls, waitCommits: int(waitCommits), calls: len(calls) - from,
			commits: int(memstore.Commits() - commits), acks: int(memstore.Acks() - acks), by: map[string]int{}}
		for _, call := range calls[from:] {
			c.by[call]++
		}
		t.Logf("%s: %d gRPC calls served and %d commits while the caller waited; until quiet: %d calls, %d commits, %d relay acks", name, c.waitCalls, c.waitCommits, c.calls, c.commits, c.acks)
		for _, k := range slices.Sorted(maps.Keys(c.by)) {
			t.Logf("  %dx %s", c.by[k], k)
		}
		return c
	}

	var id string
	submit := measure("submit", func() {
		id = str(s.must("uma", "POST", "/v1/requests", map[string]any{"type": "GRANT_ACCESS", "appId": s.app["Figma"], "permission": "viewer"}), "id")
	})
	var taskID string
	for _, tk := range objects(s.must("mona", "GET", "/v1/tasks?status=PENDING&requestId="+id, nil), "tasks") {
		taskID = str(tk, "id")
	}
	if taskID == "" {
		t.Fatal("the submit opened no task for the manager")
	}
	approval := measure("approval", func() {
		s.must("mona", "POST", "/v1/tasks/"+taskID+":approve", map[string]any{})
	})
	next := objects(s.must("ada", "GET", "/v1/tasks?status=PENDING&requestId="+id, nil), "tasks")
	if len(next) == 0 || str(next[0], "id") == taskID {
		t.Fatalf("the approval opened no next step: %v", next)
	}
	for what, c := range map[string]cost{"submit": submit, "approval": approval} {
		rpc := map[string]string{"submit": "grantflow-request request.v1.RequestService/SubmitRequest", "approval": "grantflow-task task.v1.TaskService/ApproveTask"}[what]
		if c.by[rpc] != 1 || c.by["grantflow-task task.v1.TaskInternalService/OpenStep"] != 1 {
			t.Errorf("%s: want its own call and one OpenStep among the calls served: %v", what, c.by)
		}
	}
}
