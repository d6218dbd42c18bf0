package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
)

// FuzzGatewayDecode sends arbitrary bodies to every REST call of the gateway that takes a
// body (POST /v1/requests, POST /v1/policies, POST /v1/tasks/{id}:approve, PATCH
// /v1/users/{id}, ...: decodeRoutes), in front of a fake backend that answers every gRPC
// method with the code the input chooses (OK or a deliberate error, 5xx ones included).
// For every input:
//
//   - the gateway does not panic, and never answers a 5xx of its own: a 5xx is exactly the
//     backend's deliberate answer, mapped as grpc-gateway maps codes;
//   - a body whose JSON is malformed, or that protojson refuses for the call's message
//     (an unknown field, a wrong type, a bad enum name, invalid UTF-8, ...), never
//     reaches the backend and gets 400 with the {code, message, details} body of
//     INVALID_ARGUMENT; an object with a top-level key that names no field of the message
//     is checked on its own, without protojson;
//   - a body protojson accepts reaches the backend's method for the route as exactly the
//     message protojson decodes, with the path's parameters winning over the body (an
//     "id" in the body cannot redirect a call to another task);
//   - every error answer is {code, message, details}, and its HTTP status is the code's.
//
// The committed seed corpus is testdata/fuzz/FuzzGatewayDecode; make fuzz runs it for a
// while (FUZZTIME).
func FuzzGatewayDecode(f *testing.F) {
	for i, r := range decodeRoutes {
		f.Add(uint8(i), uint8(0), []byte(r.valid))
		f.Add(uint8(i), uint8(0), []byte(`{"noSuchField":1}`))
		f.Add(uint8(i), uint8(7), []byte(r.valid+`x`))
	}
	f.Add(uint8(13), uint8(0), []byte(`{"type":"GRANT_ACCESS","appId":"a",`))
	f.Add(uint8(13), uint8(0), []byte(`{"type":17}`))
	f.Add(uint8(13), uint8(0), []byte(`{"type":"BORROW_ACCESS"}`))
	f.Add(uint8(13), uint8(0), []byte(`{"reason":"\xff\xfe"}`))
	f.Add(uint8(13), uint8(8), []byte(`{"type":"GRANT_ACCESS","type":"ADD_APP"}`))
	f.Add(uint8(16), uint8(2), []byte(`{"id":"another-task","justification":"mine now"}`))
	f.Add(uint8(16), uint8(0), []byte(`null`))
	f.Add(uint8(1), uint8(0), []byte(`null`))
	f.Add(uint8(1), uint8(0), []byte(`[]`))
	f.Add(uint8(8), uint8(0), []byte(`{"workflow":{"reviewSteps":[{"assignee":{"kind":"USERS","userIds":[1]}}]}}`))
	f.Add(uint8(10), uint8(9), []byte(`{"version":"99999999999999999999"}`))
	f.Add(uint8(20), uint8(0), []byte(strings.Repeat("[", 10000)))

	h, backend := newDecodeGateway(f)
	var seq atomic.Int64
	f.Fuzz(func(t *testing.T, route, answer uint8, body []byte) {
		r := decodeRoutes[int(route)%len(decodeRoutes)]
		want := decodeAnswers[int(answer)%len(decodeAnswers)]
		id := fmt.Sprintf("fuzz-%d-%d", seq.Add(1), want)

		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer good")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-Id", id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		got, reached := backend.take(id)

		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s %q: answer %d is no JSON object: %q", r.method, r.path, body, rec.Code, rec.Body.Bytes())
		}
		if rec.Code != http.StatusOK {
			if _, ok := out["code"].(float64); !ok || out["message"] == nil || out["details"] == nil {
				t.Fatalf("%s %s %q: error %d without {code, message, details}: %s", r.method, r.path, body, rec.Code, rec.Body.Bytes())
			}
		}

		expected, decodeErr := r.expect(body)
		if reached {
			if got.method != r.grpcMethod {
				t.Fatalf("%s %s reached %s, want %s", r.method, r.path, got.method, r.grpcMethod)
			}
			if decodeErr != nil {
				t.Fatalf("%s %s %q reached the backend (as %v) though it must be refused: %v", r.method, r.path, body, got.msg, decodeErr)
			}
			if r.fieldBody() {
				// The update mask is grpc-gateway's reading of the body's keys, not decoding.
				got.msg.ProtoReflect().Clear(got.msg.ProtoReflect().Descriptor().Fields().ByName("update_mask"))
			}
			if !proto.Equal(got.msg, expected) {
				t.Fatalf("%s %s %q: the backend got\n%v\nprotojson decodes\n%v", r.method, r.path, body, got.msg, expected)
			}
			if wantHTTP := runtime.HTTPStatusFromCode(want); rec.Code != wantHTTP {
				t.Fatalf("%s %s: the backend answered %v, the gateway %d (want %d): %s", r.method, r.path, want, rec.Code, wantHTTP, rec.Body.Bytes())
			}
			if want != codes.OK && codes.Code(out["code"].(float64)) != want {
				t.Fatalf("%s %s: the backend answered %v, the body says %v", r.method, r.path, want, out["code"])
			}
			return
		}
		// Refused by the gateway itself: a bad request (or a body over the limit), never 5xx.
		if rec.Code == http.StatusRequestEntityTooLarge && len(body) > 1<<20 {
			return
		}
		if rec.Code != http.StatusBadRequest || codes.Code(out["code"].(float64)) != codes.InvalidArgument {
			t.Fatalf("%s %s %q: refused with %d %s, want 400 INVALID_ARGUMENT", r.method, r.path, body, rec.Code, rec.Body.Bytes())
		}
		if !utf8.Valid(body) && !namesAnyField(out) {
			t.Fatalf("%s %s %q: invalid UTF-8 refused without naming the field: %s", r.method, r.path, body, rec.Body.Bytes())
		}
		if decodeErr == nil && !r.fieldBody() {
			// For a body that is one field of the message (PATCH's user, group, app),
			// grpc-gateway also reads the body for the update mask, and may refuse there.
			t.Fatalf("%s %s %q: refused (%s) though protojson accepts it as %v", r.method, r.path, body, rec.Body.Bytes(), expected)
		}
	})
}

// FuzzGatewayPathAndQuery puts arbitrary bytes into a path parameter and a query
// parameter's name and value of the REST calls that take them (GET /v1/requests/{id},
// GET /v1/tasks/{id}, GET /v1/requests?targetUserId=, ...), in front of the fake backend
// answering OK. For every input the gateway does not panic and never answers 5xx; when any
// of the three holds invalid UTF-8, the call never reaches the backend and gets 400
// INVALID_ARGUMENT with a BadRequest naming a field (before, grpc-gateway answered 500
// "string field contains invalid UTF-8").
func FuzzGatewayPathAndQuery(f *testing.F) {
	for i := range pathRoutes {
		f.Add(uint8(i), "r1", "pageSize", "10")
	}
	f.Add(uint8(0), "\x00\xff", "", "")
	f.Add(uint8(1), "\xff", "status", "PENDING")
	f.Add(uint8(2), "p1", "targetUserId", "\xff")
	f.Add(uint8(3), "t1", "\xfe", "x")
	f.Add(uint8(4), "a/b", "pageToken", "\xc3\x28")
	h, backend := newDecodeGateway(f)
	var seq atomic.Int64
	f.Fuzz(func(t *testing.T, route uint8, param, key, value string) {
		r := pathRoutes[int(route)%len(pathRoutes)]
		id := fmt.Sprintf("fuzzpath-%d-0", seq.Add(1))
		target := strings.Replace(r.path, "{}", url.PathEscape(param), 1)
		if key != "" || value != "" {
			target += "?" + url.QueryEscape(key) + "=" + url.QueryEscape(value)
		}
		req := httptest.NewRequest(r.method, "/", strings.NewReader("{}"))
		u, err := url.Parse(target)
		if err != nil {
			t.Skip() // not a URL a client could send
		}
		req.URL, req.RequestURI = u, target
		req.Header.Set("Authorization", "Bearer good")
		req.Header.Set("X-Request-Id", id)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		_, reached := backend.take(id)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", r.method, target, rec.Code, rec.Body.Bytes())
		}
		if !strings.Contains(r.path, "{}") {
			param = "" // the route has no path parameter: param is not sent
		}
		if utf8.ValidString(param) && utf8.ValidString(key) && utf8.ValidString(value) {
			return
		}
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		if reached {
			t.Fatalf("%s %s with invalid UTF-8 reached the backend (%d)", r.method, target, rec.Code)
		}
		if rec.Code == http.StatusNotFound {
			return // the path matched no route (the parameter's bytes changed its shape)
		}
		if rec.Code == http.StatusTemporaryRedirect || rec.Code == http.StatusMovedPermanently {
			return // a "." or ".." segment: the mux redirects to the clean path, reaching nothing
		}
		code, _ := out["code"].(float64)
		if rec.Code != http.StatusBadRequest || codes.Code(code) != codes.InvalidArgument || !namesAnyField(out) {
			t.Fatalf("%s %s: %d %s, want 400 INVALID_ARGUMENT naming the field", r.method, target, rec.Code, rec.Body.Bytes())
		}
	})
}

// pathRoutes are REST calls with one path parameter ({}) and a query.
var pathRoutes = []struct{ method, path string }{
	{"GET", "/v1/requests/{}"},
	{"GET", "/v1/tasks/{}"},
	{"GET", "/v1/requests"},
	{"POST", "/v1/tasks/{}:approve"},
	{"GET", "/v1/policies/{}/versions"},
	{"GET", "/v1/users/{}"},
	{"GET", "/v1/auditEvents"},
	{"POST", "/v1/requests/{}:cancel"},
}

// namesAnyField reports whether an error body carries a google.rpc.BadRequest naming a field.
func namesAnyField(body map[string]any) bool {
	details, _ := body["details"].([]any)
	for _, d := range details {
		dm, _ := d.(map[string]any)
		if t, _ := dm["@type"].(string); strings.HasSuffix(t, "google.rpc.BadRequest") {
			vs, _ := dm["fieldViolations"].([]any)
			return len(vs) > 0
		}
	}
	return false
}

// gatewayIgnoresTrailingData: grpc-gateway's own JSON decoder reads the first JSON value of
// a body and discards the rest, so `{"type":"GRANT_ACCESS"}x` or `{} {"id":"t2"}` would be
// served as if the body were only its first value; the gateway's strictJSON refuses them
// (400), and the fuzz target checks it. (true would model the library's behaviour.)
const gatewayIgnoresTrailingData = false

// decodeRoute is one REST call with a body: its gRPC method, its path with fixed
// parameters, and which field of the request message the body is ("*": all of it).
type decodeRoute struct {
	method, path string
	grpcMethod   string // "/package.Service/Method"
	body         string
	params       map[string]any // path parameters: proto field name -> value
	valid        string         // a body the call accepts, for the seed corpus
}

var decodeRoutes = []decodeRoute{
	{"POST", "/v1/users", "/grantflow.identity.v1.IdentityService/CreateUser", "*", nil, `{"email":"new@example.com","displayName":"New","role":"USER","managerId":"m1"}`},
	{"PATCH", "/v1/users/u1", "/grantflow.identity.v1.IdentityService/UpdateUser", "user", map[string]any{"id": "u1"}, `{"displayName":"Renamed"}`},
	{"POST", "/v1/users/u1:offboard", "/grantflow.identity.v1.IdentityService/OffboardUser", "*", map[string]any{"id": "u1"}, `{"reason":"left"}`},
	{"POST", "/v1/users/u1/apiKeys", "/grantflow.identity.v1.IdentityService/CreateApiKey", "*", map[string]any{"user_id": "u1"}, `{"displayName":"ci"}`},
	{"POST", "/v1/groups", "/grantflow.identity.v1.IdentityService/CreateGroup", "*", nil, `{"name":"Oncall","memberIds":["u1"]}`},
	{"PATCH", "/v1/groups/g1", "/grantflow.identity.v1.IdentityService/UpdateGroup", "group", map[string]any{"id": "g1"}, `{"description":"who is on call"}`},
	{"POST", "/v1/apps", "/grantflow.identity.v1.IdentityService/CreateApp", "*", nil, `{"name":"Notion","ownerIds":["u1"],"permissions":[{"name":"member"},{"name":"admin","privileged":true}]}`},
	{"PATCH", "/v1/apps/a1", "/grantflow.identity.v1.IdentityService/UpdateApp", "app", map[string]any{"id": "a1"}, `{"name":"Figma Design"}`},
	{"POST", "/v1/policies", "/grantflow.policy.v1.PolicyService/CreatePolicy", "*", nil,
		`{"name":"P","requestType":"GRANT_ACCESS","scope":{"appId":"a1","permissions":["admin"]},"workflow":{"reviewSteps":[{"name":"M","assignee":{"kind":"MANAGER"},"approval":"ANY"}],"actionStep":{"name":"Do","assignee":{"kind":"APP_OWNER"}}}}`},
	{"POST", "/v1/policies/p1/versions", "/grantflow.policy.v1.PolicyService/CreatePolicyVersion", "*", map[string]any{"policy_id": "p1"}, `{"workflow":{"reviewSteps":[],"actionStep":{"name":"Do","assignee":{"kind":"AGENT"}}}}`},
	{"PATCH", "/v1/policies/p1/versions/2", "/grantflow.policy.v1.PolicyService/UpdatePolicyVersion", "*", map[string]any{"policy_id": "p1", "version": int64(2)},
		`{"workflow":{"reviewSteps":[{"name":"Q","assignee":{"kind":"USERS","userIds":["u1","u2"]},"approval":"QUORUM","minApprovals":2}]},"etag":"\"3\""}`},
	{"POST", "/v1/policies/p1/versions/2:activate", "/grantflow.policy.v1.PolicyService/ActivatePolicyVersion", "*", map[string]any{"policy_id": "p1", "version": int64(2)}, `{}`},
	{"POST", "/v1/policies:resolve", "/grantflow.policy.v1.PolicyService/ResolvePolicy", "*", nil, `{"requestType":"GRANT_ACCESS","appId":"a1","permission":"editor"}`},
	{"POST", "/v1/requests", "/grantflow.request.v1.RequestService/SubmitRequest", "*", nil,
		`{"requestId":"0b5d3f4e-8a43-4f6f-9d0c-6d1c2b3a4e5f","type":"GRANT_ACCESS","appId":"a1","permission":"editor","reason":"design reviews"}`},
	{"POST", "/v1/requests/r1:cancel", "/grantflow.request.v1.RequestService/CancelRequest", "*", map[string]any{"id": "r1"}, `{"reason":"not needed"}`},
	{"POST", "/v1/tasks", "/grantflow.task.v1.TaskService/CreateTask", "*", nil, `{"assigneeIds":["u1"],"action":"Set up the laptop","note":"Monday"}`},
	{"POST", "/v1/tasks/t1:approve", "/grantflow.task.v1.TaskService/ApproveTask", "*", map[string]any{"id": "t1"}, `{"justification":"needed","etag":"\"1\""}`},
	{"POST", "/v1/tasks/t1:decline", "/grantflow.task.v1.TaskService/DeclineTask", "*", map[string]any{"id": "t1"}, `{"justification":"no"}`},
	{"POST", "/v1/tasks/t1:complete", "/grantflow.task.v1.TaskService/CompleteTask", "*", map[string]any{"id": "t1"}, `{"note":"invited"}`},
	{"POST", "/v1/tasks/t1:reassign", "/grantflow.task.v1.TaskService/ReassignTask", "*", map[string]any{"id": "t1"}, `{"assigneeIds":["u2"],"note":"on leave"}`},
	{"POST", "/v1/auditEvents:verify", "/grantflow.audit.v1.AuditService/VerifyAuditEvents", "*", nil, `{"fromLastCheckpoint":true}`},
}

// decodeAnswers are what the fake backend answers, chosen by the input: OK, the errors of
// API.md, and deliberate 5xx ones.
var decodeAnswers = []codes.Code{
	codes.OK, codes.InvalidArgument, codes.PermissionDenied, codes.NotFound, codes.FailedPrecondition,
	codes.Aborted, codes.AlreadyExists, codes.Unavailable, codes.Internal, codes.ResourceExhausted, codes.Unknown,
}

func (r decodeRoute) fieldBody() bool { return r.body != "*" }

// input is the route's gRPC request message type.
func (r decodeRoute) input() protoreflect.MessageType {
	return messageTypes(r.grpcMethod)[0]
}

// expect decodes body as the gateway should (the first JSON value, by protojson with
// unknown fields refused, into the message or the one field the body is; the path's
// parameters set last), or says why the gateway must refuse it.
func (r decodeRoute) expect(body []byte) (proto.Message, error) {
	msg := r.input().New()
	target := msg
	var field protoreflect.FieldDescriptor
	if r.fieldBody() {
		field = msg.Descriptor().Fields().ByName(protoreflect.Name(r.body))
		target = msg.Mutable(field).Message()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var first json.RawMessage
	switch err := dec.Decode(&first); {
	case errors.Is(err, io.EOF):
		first = nil // an empty body is an empty message
	case err != nil:
		return nil, fmt.Errorf("malformed JSON: %w", err)
	}
	if rest := bytes.TrimSpace(body[dec.InputOffset():]); len(rest) > 0 && !gatewayIgnoresTrailingData {
		return nil, fmt.Errorf("trailing data after the JSON value: %q", rest)
	}
	if first != nil {
		if key, ok := unknownKey(first, target.Descriptor()); ok {
			return nil, fmt.Errorf("unknown field %q", key)
		}
		if err := protojson.Unmarshal(first, target.Interface()); err != nil {
			return nil, err
		}
	}
	for name, v := range r.params {
		msg.Set(msg.Descriptor().Fields().ByName(protoreflect.Name(name)), protoreflect.ValueOf(v))
	}
	return msg.Interface(), nil
}

// unknownKey finds a top-level key of a JSON object that names no field of md (by its
// JSON or its proto name), without protojson.
func unknownKey(raw json.RawMessage, md protoreflect.MessageDescriptor) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil {
		return "", false // not an object: protojson refuses it anyway
	}
	fields := md.Fields()
	for k := range obj {
		if fields.ByJSONName(k) == nil && fields.ByTextName(k) == nil {
			return k, true
		}
	}
	return "", false
}

// messageTypes returns the input and output types of a gRPC method, "/pkg.Service/Method".
func messageTypes(fullMethod string) [2]protoreflect.MessageType {
	svc, method, _ := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		panic(fmt.Sprintf("%s: %v", fullMethod, err))
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(method))
	if md == nil {
		panic("no method " + fullMethod)
	}
	var out [2]protoreflect.MessageType
	for i, m := range []protoreflect.MessageDescriptor{md.Input(), md.Output()} {
		mt, err := protoregistry.GlobalTypes.FindMessageByName(m.FullName())
		if err != nil {
			panic(fmt.Sprintf("%s: %v", m.FullName(), err))
		}
		out[i] = mt
	}
	return out
}

// decodeBackend is a gRPC server for every method of every service: it decodes the
// request into its real type, remembers it under the call's x-request-id, and answers the
// code that id names ("fuzz-<n>-<code>"): an empty response for OK, else that error.
type decodeBackend struct {
	mu   sync.Mutex
	seen map[string]decodedCall
}

type decodedCall struct {
	method string
	msg    proto.Message
}

func (b *decodeBackend) handle(_ any, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	types := messageTypes(method)
	in := types[0].New().Interface()
	if err := stream.RecvMsg(in); err != nil {
		return err
	}
	md, _ := metadata.FromIncomingContext(stream.Context())
	id := strings.Join(md.Get("x-request-id"), "")
	b.mu.Lock()
	b.seen[id] = decodedCall{method, in}
	b.mu.Unlock()
	code, err := strconv.Atoi(id[strings.LastIndexByte(id, '-')+1:])
	if err != nil {
		return status.Errorf(codes.Internal, "test bug: request id %q names no answer", id)
	}
	if codes.Code(code) != codes.OK {
		return status.Error(codes.Code(code), "the fake backend's deliberate answer")
	}
	return stream.SendMsg(types[1].New().Interface())
}

// take returns and forgets what the call with id brought to the backend, if it got there.
func (b *decodeBackend) take(id string) (decodedCall, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.seen[id]
	delete(b.seen, id)
	return c, ok
}

// newDecodeGateway serves the gateway with every backend on the fake server (over
// bufconn) and the credential "good" as user u1.
func newDecodeGateway(f testing.TB) (http.Handler, *decodeBackend) {
	b := &decodeBackend{seen: map[string]decodedCall{}}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(b.handle))
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close(); srv.Stop() })
	authn := auth.AuthenticatorFunc(func(_ context.Context, cred string) (auth.Principal, error) {
		if cred != "good" {
			return auth.Principal{}, errs.Unauthenticated("unknown credential")
		}
		return auth.Principal{UserID: "u1"}, nil
	})
	h, err := New(context.Background(), Options{
		Logger: slog.New(slog.DiscardHandler), Authenticator: authn,
		Backends: Backends{Identity: conn, Policy: conn, Request: conn, Task: conn, Audit: conn},
	})
	if err != nil {
		f.Fatal(err)
	}
	return h, b
}
