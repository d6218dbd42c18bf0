package distributed_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/proctest"
	"github.com/grantflow/grantflow/pkg/testenv"
)

// settleTimeout bounds each wait for asynchronous work: a step's tasks opening after a
// decision (through the outboxes), events reaching audit, spans reaching the receiver.
const settleTimeout = 30 * time.Second

// TestDistributedEndToEnd runs the distributed mode (every service its own process, on
// PostgreSQL and Redis) and drives it over REST only: the bootstrap admin seeds people,
// their API keys and an app; Uma's request for Figma editor goes through her manager's
// review, the owner's review and the owner's provisioning to DONE, and the access exists; a
// second request is declined by the manager; each request's lineage is in audit. The
// submit's trace holds spans of the gateway, request, policy, identity and task
// processes, and every process serves its RED metrics.
func TestDistributedEndToEnd(t *testing.T) {
	testenv.Integration(t)
	began := time.Now()
	dbURL := pgtest.NewEmptyDatabase(t) // skips loudly (fails under CI=true) without PostgreSQL
	redisURL := testenv.RedisURL(t)     // the same for Redis
	rcv := startReceiver(t)
	c := startCluster(t, clusterOptions{postgresURL: dbURL, redisURL: redisURL, otlpEndpoint: rcv.endpoint})
	api := newClient(t, c.base)
	org := seed(t, api, c.adminKey)

	var granted string
	t.Run("lifecycle", func(t *testing.T) { granted = lifecycle(t, api.on(t), org) })
	t.Run("decline", func(t *testing.T) { decline(t, api.on(t), org) })
	// The access review before the mover: the mover gives Uma another manager than the
	// reviewer the review expects.
	t.Run("access review", func(t *testing.T) { accessReview(t, api.on(t), org) })
	t.Run("mover", func(t *testing.T) { mover(t, api.on(t), org) })
	t.Run("trace", func(t *testing.T) {
		if granted == "" {
			t.Fatal("the lifecycle made no request: no trace to check")
		}
		oneTraceAcrossProcesses(t, api.on(t), rcv, org, granted)
	})
	t.Run("metrics", func(t *testing.T) { redMetrics(t, api.on(t), c) })
	for _, p := range c.procs {
		p.CheckAlive()
	}
	t.Logf("distributed end to end: %s in all, %d spans received", time.Since(began).Round(time.Millisecond), rcv.count())
}

// org is what the seeding made: people by handle with their API keys, and the apps.
type org struct {
	id, key map[string]string // handle -> user id, API key
	app     map[string]string // app name -> id
}

// seed onboards, as the bootstrap admin, a General Manager (Grace), a manager (Mona) and
// two engineers reporting to her (Otto, who owns the apps, and Uma), gives each an API key,
// and registers Figma and GitHub with three permission levels each.
func seed(t *testing.T, api *client, adminKey string) *org {
	t.Helper()
	o := &org{id: map[string]string{}, key: map[string]string{"admin": adminKey}, app: map[string]string{}}
	me := api.must(adminKey, "GET", "/v1/me", nil)
	if u, _ := me["user"].(map[string]any); u["role"] != "ADMIN" {
		t.Fatalf("the bootstrap key is not an Admin's: %v", me)
	}
	for _, p := range []struct{ handle, name, role, manager string }{
		{"grace", "Grace Hopper", "GENERAL_MANAGER", ""},
		{"mona", "Mona Ramirez", "USER", "grace"},
		{"otto", "Otto Berg", "USER", "mona"},
		{"uma", "Uma Chen", "USER", "mona"},
	} {
		body := map[string]any{"email": p.handle + "-" + proctest.RandomHex(4) + "@e2e.grantflow.dev", "displayName": p.name, "role": p.role}
		if p.manager != "" {
			body["managerId"] = o.id[p.manager]
		}
		o.id[p.handle] = str(api.must(adminKey, "POST", "/v1/users", body), "id")
		k := api.must(adminKey, "POST", "/v1/users/"+o.id[p.handle]+"/apiKeys", map[string]any{"displayName": "e2e"})
		if o.key[p.handle] = str(k, "secret"); o.key[p.handle] == "" {
			t.Fatalf("API key of %s: %v", p.handle, k)
		}
	}
	for name, perms := range map[string][]string{"Figma": {"viewer", "editor"}, "GitHub": {"read", "write"}} {
		app := api.must(adminKey, "POST", "/v1/apps", map[string]any{
			"name": name, "ownerIds": []string{o.id["otto"]},
			"permissions": []map[string]any{{"name": perms[0]}, {"name": perms[1]}, {"name": "admin", "privileged": true}},
		})
		o.app[name] = str(app, "id")
	}
	// Each person's key works, through the gateway, identity and the Redis cache.
	for _, h := range []string{"grace", "mona", "otto", "uma"} {
		if got := str(api.must(o.key[h], "GET", "/v1/me", nil)["user"].(map[string]any), "id"); got != o.id[h] {
			t.Fatalf("%s's key is user %s, want %s", h, got, o.id[h])
		}
	}
	return o
}

// lifecycle is the seeds' example: Uma asks for Figma editor; her manager approves, then
// the owner; the owner provisions; the request is DONE and the access exists. It returns
// the request's id.
func lifecycle(t *testing.T, api *client, o *org) string {
	req := api.must(o.key["uma"], "POST", "/v1/requests", map[string]any{
		"requestId": uuid.NewString(), "type": "GRANT_ACCESS", "appId": o.app["Figma"], "permission": "editor", "reason": "design reviews"})
	id := str(req, "id")
	if req["status"] != "IN_PROGRESS" || req["stage"] != "REVIEW" || req["policyId"] != "system-default-grant-access" || req["policyVersion"] != "1" {
		t.Errorf("submitted: %v", req)
	}
	if code, _ := api.call(o.key["otto"], "GET", "/v1/requests/no-such-request", nil); code != http.StatusNotFound {
		t.Errorf("a missing request: %d, want 404", code)
	}
	for i, st := range []struct{ who, verb, typ string }{{"mona", "approve", "REVIEW"}, {"otto", "approve", "REVIEW"}, {"otto", "complete", "ACTION"}} {
		task := api.pendingTask(t, o.key[st.who], id)
		if task["type"] != st.typ {
			t.Errorf("step %d: %s's task is %v, want %s", i, st.who, task["type"], st.typ)
		}
		if i == 0 {
			// Nobody approves their own request.
			if code, _ := api.call(o.key["uma"], "POST", "/v1/tasks/"+str(task, "id")+":approve", map[string]any{}); code != http.StatusForbidden {
				t.Errorf("the requester approving her own request: %d, want 403", code)
			}
		}
		body := map[string]any{"justification": "needed for the redesign"}
		if st.verb == "complete" {
			body = map[string]any{"note": "invited in Figma"}
		}
		api.must(o.key[st.who], "POST", "/v1/tasks/"+str(task, "id")+":"+st.verb, body)
	}
	done := api.waitRequest(t, o.key["uma"], id, "DONE")
	if done["stage"] != "CLOSED" || len(done["taskIds"].([]any)) != 3 {
		t.Errorf("done: %v", done)
	}
	acc := api.must(o.key["uma"], "GET", "/v1/accesses?userId="+o.id["uma"]+"&appId="+o.app["Figma"], nil)
	if got := objects(acc, "accesses"); len(got) != 1 || got[0]["permission"] != "editor" {
		t.Errorf("Uma's Figma access: %v", acc)
	}
	// The lineage, in audit: the request's events and every task's, from three services.
	lineage := api.lineage(t, o.key["uma"], id, func(actions []string) bool {
		return slices.Contains(actions, "request.done") && count(actions, "task.created") == 3 &&
			count(actions, "task.approved") == 2 && slices.Contains(actions, "task.completed") && slices.Contains(actions, "access.granted")
	})
	services := map[string]bool{}
	for _, e := range lineage {
		services[str(e, "service")] = true
		// (The pinned policy version's events are in the lineage too; the system default was
		// made at the policy service's start, outside any call.)
		if a := str(e, "action"); str(e, "traceId") == "" && !strings.HasPrefix(a, "policy.") {
			t.Errorf("audit event %s carries no trace id", a)
		}
	}
	for _, want := range []string{"request", "task", "identity"} {
		if !services[want] && !services["grantflow-"+want] {
			t.Errorf("no event of %s in the lineage (services: %v)", want, services)
		}
	}
	return id
}

// mover: Uma's request waits for her manager Mona; the admin moves Uma to Grace; identity's
// event reaches the task process, which moves the pending manager review to Grace (history
// says why) and gives Grace a task to review Uma's accesses. (Uma reports to Grace after.)
func mover(t *testing.T, api *client, o *org) {
	id := str(api.must(o.key["uma"], "POST", "/v1/requests", map[string]any{
		"requestId": uuid.NewString(), "type": "GRANT_ACCESS", "appId": o.app["GitHub"], "permission": "read", "reason": "mover"}), "id")
	task := str(api.pendingTask(t, o.key["mona"], id), "id")
	api.must(o.key["admin"], "PATCH", "/v1/users/"+o.id["uma"], map[string]any{"managerId": o.id["grace"]})
	proctest.Poll(t, settleTimeout, "the review moved to grace", func() (bool, string) {
		tk := api.must(o.key["admin"], "GET", "/v1/tasks/"+task, nil)
		hist := objects(tk, "history")
		ids, _ := tk["assigneeIds"].([]any)
		return len(ids) == 1 && ids[0] == o.id["grace"] && str(hist[len(hist)-1], "event") == "reassigned", fmt.Sprint(tk)
	})
	proctest.Poll(t, settleTimeout, "grace's task to review uma's accesses", func() (bool, string) {
		tasks := objects(api.must(o.key["grace"], "GET", "/v1/tasks?status=PENDING", nil), "tasks")
		for _, tk := range tasks {
			if tk["type"] == "STANDALONE" && strings.HasPrefix(str(tk, "action"), "Review the accesses of Uma Chen") {
				return true, ""
			}
		}
		return false, fmt.Sprint(tasks)
	})
	if code, _ := api.call(o.key["mona"], "GET", "/v1/tasks/"+task, nil); code != http.StatusNotFound {
		t.Errorf("mona still sees the moved review: %d", code)
	}
}

// decline: Uma asks for GitHub write; her manager declines; the request is DECLINED, the
// owner never gets a task, and no access exists.
func decline(t *testing.T, api *client, o *org) {
	id := str(api.must(o.key["uma"], "POST", "/v1/requests", map[string]any{
		"type": "GRANT_ACCESS", "appId": o.app["GitHub"], "permission": "write", "reason": "to push a fix"}), "id")
	task := api.pendingTask(t, o.key["mona"], id)
	api.must(o.key["mona"], "POST", "/v1/tasks/"+str(task, "id")+":decline", map[string]any{"justification": "not needed"})
	declined := api.waitRequest(t, o.key["uma"], id, "DECLINED")
	if declined["stage"] != "CLOSED" || len(declined["taskIds"].([]any)) != 1 {
		t.Errorf("declined: %v", declined)
	}
	if code, body := api.call(o.key["mona"], "POST", "/v1/tasks/"+str(task, "id")+":approve", map[string]any{}); code != http.StatusBadRequest {
		t.Errorf("approving a declined task: %d %v, want 400 (FAILED_PRECONDITION)", code, body)
	}
	if tasks := objects(api.must(o.key["otto"], "GET", "/v1/tasks?status=PENDING&requestId="+id, nil), "tasks"); len(tasks) != 0 {
		t.Errorf("the owner got tasks of a declined request: %v", tasks)
	}
	if acc := objects(api.must(o.key["uma"], "GET", "/v1/accesses?userId="+o.id["uma"]+"&appId="+o.app["GitHub"], nil), "accesses"); len(acc) != 0 {
		t.Errorf("a declined request granted access: %v", acc)
	}
	api.lineage(t, o.key["uma"], id, func(actions []string) bool {
		return slices.Contains(actions, "task.declined") && slices.Contains(actions, "request.declined")
	})
}

// accessReview: a managers' campaign on Figma (Uma holds editor since the lifecycle) runs
// across the processes: the review service opens Mona's ACCESS_REVIEW task in the task
// service; Uma's request on Figma (request's events to review) blocks her item until she
// cancels it; Mona keeps it, and her task is DONE.
func accessReview(t *testing.T, api *client, o *org) {
	admin := o.key["admin"]
	c := api.must(admin, "POST", "/v1/accessReviews", map[string]any{"name": "Figma", "scope": map[string]any{"appIds": []string{o.app["Figma"]}}, "reviewer": map[string]any{"kind": "MANAGER"}})
	path := "/v1/accessReviews/" + str(c, "id")
	api.must(admin, "POST", path+":launch", map[string]any{})
	items := objects(api.must(o.key["mona"], "GET", path+"/items", nil), "items")
	if len(items) != 1 || items[0]["userId"] != o.id["uma"] {
		t.Fatalf("Mona's items %v", items)
	}
	item := path + "/items/" + str(items[0], "id")
	status := func() any { return objects(api.must(admin, "GET", path+"/items", nil), "items")[0]["status"] }
	var task string
	waitFor(t, "Mona's ACCESS_REVIEW task", func() bool {
		for _, tk := range objects(api.must(o.key["mona"], "GET", "/v1/tasks?status=PENDING", nil), "tasks") {
			if tk["type"] == "ACCESS_REVIEW" && tk["accessReviewId"] == str(c, "id") {
				task = str(tk, "id")
			}
		}
		return task != ""
	})
	req := str(api.must(o.key["uma"], "POST", "/v1/requests", map[string]any{"type": "CHANGE_PERMISSION", "appId": o.app["Figma"], "permission": "admin", "reason": "to manage the team"}), "id")
	waitFor(t, "Uma's item blocked by her request", func() bool {
		return status() == "BLOCKED"
	})
	api.must(o.key["uma"], "POST", "/v1/requests/"+req+":cancel", map[string]any{})
	waitFor(t, "Uma's item released", func() bool { return status() == "PENDING" })
	api.must(o.key["mona"], "POST", item+":decide", map[string]any{"decision": "KEEP"})
	waitFor(t, "Mona's task done", func() bool { return api.must(o.key["mona"], "GET", "/v1/tasks/"+task, nil)["status"] == "DONE" })
}

// waitFor polls cond (settleTimeout at most) until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	proctest.Poll(t, settleTimeout, what, func() (bool, string) { return cond(), "" })
}

// oneTraceAcrossProcesses: the submit of request id made one trace, found by the trace id
// audit recorded with the request's first event, and it holds the gateway's POST
// /v1/requests span and spans of the request, policy, identity and task processes, each
// named by the process that made it.
func oneTraceAcrossProcesses(t *testing.T, api *client, rcv *receiver, o *org, id string) {
	events := api.lineage(t, o.key["uma"], id, func([]string) bool { return true })
	traceID := ""
	for _, e := range events { // in seq order: the first request event is the submit's
		if strings.HasPrefix(str(e, "action"), "request.") {
			traceID = str(e, "traceId")
			break
		}
	}
	if traceID == "" {
		t.Fatalf("no request event with a trace id in %v", events)
	}
	want := map[string]string{
		"grantflow-gateway":  "POST /v1/requests",
		"grantflow-request":  "grantflow.request.v1.RequestService/SubmitRequest",
		"grantflow-policy":   "grantflow.policy.v1.PolicyService/ResolvePolicy",
		"grantflow-identity": "grantflow.identity.v1.IdentityInternalService/GetFacts",
		"grantflow-task":     "grantflow.task.v1.TaskInternalService/OpenStep",
	}
	var got map[string][]string
	proctest.Poll(t, settleTimeout, "the submit's spans of every process", func() (bool, string) {
		got = rcv.trace(traceID)
		for service, name := range want {
			if !slices.Contains(got[service], name) {
				return false, fmt.Sprintf("trace %s lacks %q of %s; so far: %v", traceID, name, service, got)
			}
		}
		return true, ""
	})
	t.Logf("trace %s of the submit: %v", traceID, got)
}

// redMetrics: every process serves GET /metrics on its GRANTFLOW_METRICS_ADDR (the gateway
// not on its public REST address), with the calls it served and made, under its
// service.name.
func redMetrics(t *testing.T, api *client, c *cluster) {
	gateway := api.text(t, "http://"+c.metrics["gateway"]+"/metrics")
	for _, want := range [][]string{
		{"http_server_request_duration_seconds_count{", `service_name="grantflow-gateway"`, `http_request_method="POST"`, `http_response_status_code="200"`},
		{"rpc_client_call_duration_seconds_count{", `service_name="grantflow-gateway"`, `rpc_method="grantflow.request.v1.RequestService/SubmitRequest"`},
		{"target_info{", `service_name="grantflow-gateway"`},
	} {
		if !hasSeries(gateway, want[0], want[1:]...) {
			t.Errorf("the gateway's GET /metrics lacks %v", want)
		}
	}
	for service, method := range map[string]string{
		"identity": "grantflow.identity.v1.IdentityInternalService/Authenticate",
		"policy":   "grantflow.policy.v1.PolicyService/ResolvePolicy",
		"request":  "grantflow.request.v1.RequestService/SubmitRequest",
		"task":     "grantflow.task.v1.TaskService/ApproveTask",
		"audit":    "grantflow.audit.v1.AuditService/ListAuditEvents",
	} {
		name := `service_name="grantflow-` + service + `"`
		body := api.text(t, "http://"+c.metrics[service]+"/metrics")
		if !hasSeries(body, "rpc_server_call_duration_seconds_count{", name, `rpc_method="`+method+`"`, `rpc_response_status_code="OK"`) {
			t.Errorf("%s's metrics lack rpc.server.call.duration of %s", service, method)
		}
		if !hasSeries(body, "target_info{", name) {
			t.Errorf("%s's metrics lack target_info with its service.name", service)
		}
		if service != "audit" && !hasSeries(body, "grantflow_outbox_delivered_total{", `sink="audit"`) {
			t.Errorf("%s's metrics lack its outbox deliveries to audit", service)
		}
	}
}

// hasSeries reports whether a line of a Prometheus exposition starts with prefix and holds
// every label.
func hasSeries(body, prefix string, labels ...string) bool {
next:
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(line, l) {
				continue next
			}
		}
		return true
	}
	return false
}

// client talks to the gateway as a web client would.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, base string) *client {
	c := &client{t: t, base: base, http: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{}}}
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

// on returns the client for test t (whose failures it reports).
func (c *client) on(t *testing.T) *client {
	cp := *c
	cp.t = t
	return &cp
}

// call does one REST call with key ("" for none) and returns status and body.
func (c *client) call(key, method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s: %d, not JSON: %q", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, out
}

// must does a call that has to succeed and returns its body.
func (c *client) must(key, method, path string, body any) map[string]any {
	c.t.Helper()
	code, out := c.call(key, method, path, body)
	if code != http.StatusOK {
		c.t.Fatalf("%s %s = %d (%v)", method, path, code, out)
	}
	return out
}

// text GETs url and returns its body (the metrics endpoints).
func (c *client) text(t *testing.T, url string) string {
	t.Helper()
	res, err := c.http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return string(raw)
}

// pendingTask waits for the pending task of request id in the inbox of key's owner.
func (c *client) pendingTask(t *testing.T, key, id string) map[string]any {
	t.Helper()
	var task map[string]any
	proctest.Poll(t, settleTimeout, "a pending task of request "+id, func() (bool, string) {
		tasks := objects(c.must(key, "GET", "/v1/tasks?status=PENDING&requestId="+id, nil), "tasks")
		if len(tasks) == 0 {
			return false, "none yet"
		}
		task = tasks[0]
		return true, ""
	})
	return task
}

// waitRequest polls request id until it has status.
func (c *client) waitRequest(t *testing.T, key, id, status string) map[string]any {
	t.Helper()
	var r map[string]any
	proctest.Poll(t, settleTimeout, "request "+id+" "+status, func() (bool, string) {
		r = c.must(key, "GET", "/v1/requests/"+id, nil)
		return r["status"] == status, fmt.Sprintf("%v", r)
	})
	return r
}

// lineage polls GET /v1/auditEvents?requestId=id until complete accepts its actions, and
// returns the events (in seq order).
func (c *client) lineage(t *testing.T, key, id string, complete func(actions []string) bool) []map[string]any {
	t.Helper()
	var events []map[string]any
	proctest.Poll(t, settleTimeout, "the lineage of request "+id+" in audit", func() (bool, string) {
		events = objects(c.must(key, "GET", "/v1/auditEvents?requestId="+url.QueryEscape(id), nil), "auditEvents")
		var actions []string
		for _, e := range events {
			actions = append(actions, str(e, "action"))
		}
		return complete(actions), fmt.Sprintf("actions so far: %v", actions)
	})
	return events
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func objects(m map[string]any, key string) []map[string]any {
	raw, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, r := range raw {
		if o, ok := r.(map[string]any); ok {
			out = append(out, o)
		}
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
