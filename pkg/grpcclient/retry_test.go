package grpcclient_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/grpcclient"
)

// declared walks the contracts' files directly and lists the methods whose rpc declares a
// level that allows repeating it, and the others.
func declared(t *testing.T) (safe, unsafe []string) {
	t.Helper()
	for _, fd := range []protoreflect.FileDescriptor{
		auditv1.File_grantflow_audit_v1_audit_proto, eventsv1.File_grantflow_events_v1_events_proto,
		identityv1.File_grantflow_identity_v1_identity_proto, identityv1.File_grantflow_identity_v1_internal_proto,
		policyv1.File_grantflow_policy_v1_policy_proto, requestv1.File_grantflow_request_v1_request_proto,
		taskv1.File_grantflow_task_v1_task_proto,
	} {
		for i := 0; i < fd.Services().Len(); i++ {
			svc := fd.Services().Get(i)
			for j := 0; j < svc.Methods().Len(); j++ {
				m := svc.Methods().Get(j)
				name := string(svc.FullName()) + "/" + string(m.Name())
				switch m.Options().(*descriptorpb.MethodOptions).GetIdempotencyLevel() {
				case descriptorpb.MethodOptions_NO_SIDE_EFFECTS, descriptorpb.MethodOptions_IDEMPOTENT:
					safe = append(safe, name)
				default:
					unsafe = append(unsafe, name)
				}
			}
		}
	}
	slices.Sort(safe)
	return safe, unsafe
}

// The policy every connection gets names exactly the methods the protos declare
// NO_SIDE_EFFECTS or IDEMPOTENT: each of them, and no other.
func TestRetryPolicyIsTheDeclaredLevels(t *testing.T) {
	safe, unsafe := declared(t)
	if got := grpcclient.RetrySafe(); !slices.Equal(got, safe) {
		t.Fatalf("RetrySafe:\n got %v\nwant %v", got, safe)
	}
	sc, err := grpcclient.ServiceConfig(0)
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		MethodConfig []struct {
			Name []struct {
				Service, Method string
			}
			RetryPolicy struct {
				RetryableStatusCodes []string
			}
		}
	}
	if err := json.Unmarshal([]byte(sc), &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.MethodConfig) != 1 || !slices.Equal(cfg.MethodConfig[0].RetryPolicy.RetryableStatusCodes, []string{"UNAVAILABLE"}) {
		t.Fatalf("one retry policy on UNAVAILABLE wanted: %s", sc)
	}
	var inConfig []string
	for _, n := range cfg.MethodConfig[0].Name {
		if n.Method == "" {
			t.Fatalf("a whole service is retried: %s", n.Service)
		}
		inConfig = append(inConfig, n.Service+"/"+n.Method)
	}
	slices.Sort(inConfig)
	if !slices.Equal(inConfig, safe) {
		t.Fatalf("service config names\n %v\nwant\n %v", inConfig, safe)
	}
	for _, u := range unsafe {
		if slices.Contains(inConfig, u) {
			t.Errorf("%s is retried but declares no idempotency level", u)
		}
	}
	// The calls the hand-typed lists once missed in one way to run or the other.
	for _, want := range []string{
		"grantflow.request.v1.RequestService/GetRequest", "grantflow.request.v1.RequestService/ListRequests",
		"grantflow.policy.v1.PolicyService/GetPolicyVersion", "grantflow.policy.v1.PolicyService/ListPolicyVersions",
		"grantflow.audit.v1.AuditService/GetPublicKey", "grantflow.audit.v1.AuditService/ListCheckpoints",
		"grantflow.identity.v1.IdentityInternalService/ResolveAssignees", "grantflow.events.v1.EventSinkService/DeliverEvents",
	} {
		if !slices.Contains(inConfig, want) {
			t.Errorf("%s is not retried", want)
		}
	}
	for _, write := range []string{"grantflow.request.v1.RequestService/SubmitRequest", "grantflow.task.v1.TaskService/ApproveTask", "grantflow.identity.v1.IdentityService/CreateUser"} {
		if slices.Contains(inConfig, write) {
			t.Errorf("%s is a write and is retried", write)
		}
	}
}

// flaky answers UNAVAILABLE to the first call of each method, then succeeds.
type flaky struct {
	identityv1.UnimplementedIdentityServiceServer
	getUser, createUser atomic.Int32
}

func (f *flaky) GetUser(context.Context, *identityv1.GetUserRequest) (*identityv1.User, error) {
	if f.getUser.Add(1) == 1 {
		return nil, status.Error(codes.Unavailable, "briefly down")
	}
	return &identityv1.User{Id: "u1"}, nil
}

func (f *flaky) CreateUser(context.Context, *identityv1.CreateUserRequest) (*identityv1.User, error) {
	if f.createUser.Add(1) == 1 {
		return nil, status.Error(codes.Unavailable, "briefly down")
	}
	return &identityv1.User{Id: "u2"}, nil
}

// A connection retries a NO_SIDE_EFFECTS read on UNAVAILABLE and never a write; the write's
// failure reaches the caller as a domain error of kind Unavailable.
func TestDialRetriesDeclaredReadsOnly(t *testing.T) {
	srv := grpc.NewServer()
	f := &flaky{}
	identityv1.RegisterIdentityServiceServer(srv, f)
	client := identityv1.NewIdentityServiceClient(dial(t, serve(t, srv)))
	ctx := context.Background()
	if u, err := client.GetUser(ctx, &identityv1.GetUserRequest{Id: "u1"}); err != nil || u.GetId() != "u1" {
		t.Fatalf("GetUser not retried: %v %v", u, err)
	}
	if n := f.getUser.Load(); n != 2 {
		t.Fatalf("GetUser reached the server %d times, want 2", n)
	}
	_, err := client.CreateUser(ctx, &identityv1.CreateUserRequest{})
	if !errs.Is(err, errs.KindUnavailable) || status.Code(err) != codes.Unavailable {
		t.Fatalf("CreateUser: want a domain Unavailable that still answers status.Code, got %T %v", err, err)
	}
	if n := f.createUser.Load(); n != 1 {
		t.Fatalf("CreateUser reached the server %d times, want 1 (writes are never retried)", n)
	}
}
