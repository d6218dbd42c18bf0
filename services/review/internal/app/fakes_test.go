package app_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
)

// org is a fake identity and request service: the facts, the accesses (streamed in pages
// as identity does), the open requests, and the requests decisions open.
type org struct {
	identityv1.IdentityServiceClient
	identityv1.IdentityInternalServiceClient
	requestv1.RequestServiceClient

	users  map[string]*identityv1.UserFacts
	apps   map[string]*identityv1.AppFacts
	admins []string
	// accesses: count and at(n) generate them, so a large org needs no slice of them.
	count int
	at    func(n int) *identityv1.Access
	open  []*requestv1.Request
	// genUser makes up the facts of a user the map lacks (large orgs); nil: unknown.
	genUser func(id string) *identityv1.UserFacts

	mu        sync.Mutex
	submitted []submitted
	byKey     map[string]*requestv1.Request
	// maxPage: the largest page a launch asked for.
	maxPage int
}

type submitted struct {
	by  string
	req *requestv1.SubmitRequestRequest
}

var grantTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func perms(names ...string) []*identityv1.Permission {
	var out []*identityv1.Permission
	for _, n := range names {
		out = append(out, &identityv1.Permission{Name: n})
	}
	return out
}

// smallOrg: mia manages uma and bob; gm manages mia, oli and the admin; oli owns figma,
// uma owns slack; bob has a request open on slack; "old" is archived.
func smallOrg() *org {
	o := &org{
		users: map[string]*identityv1.UserFacts{
			"admin": {Id: "admin", Role: identityv1.Role_ADMIN, Status: identityv1.User_ACTIVE, ManagerId: "gm", Email: "admin@example.com"},
			"gm":    {Id: "gm", Role: identityv1.Role_GENERAL_MANAGER, Status: identityv1.User_ACTIVE, Email: "gm@example.com"},
			"mia":   {Id: "mia", Role: identityv1.Role_USER, Status: identityv1.User_ACTIVE, ManagerId: "gm", IsManager: true, Email: "mia@example.com"},
			"uma":   {Id: "uma", Role: identityv1.Role_USER, Status: identityv1.User_ACTIVE, ManagerId: "mia", Email: "uma@example.com"},
			"bob":   {Id: "bob", Role: identityv1.Role_USER, Status: identityv1.User_ACTIVE, ManagerId: "mia", Email: "bob@example.com"},
			"oli":   {Id: "oli", Role: identityv1.Role_USER, Status: identityv1.User_ACTIVE, ManagerId: "gm", Email: "=oli@example.com"},
			"rev":   {Id: "rev", Role: identityv1.Role_USER, Status: identityv1.User_ACTIVE, ManagerId: "gm", Email: "rev@example.com"},
			"gone":  {Id: "gone", Role: identityv1.Role_USER, Status: identityv1.User_OFFBOARDED, ManagerId: "gm"},
		},
		apps: map[string]*identityv1.AppFacts{
			"figma": {Id: "figma", Name: "Figma", Status: identityv1.App_ACTIVE, OwnerIds: []string{"oli"}, Permissions: perms("viewer", "editor")},
			"slack": {Id: "slack", Name: "Slack", Status: identityv1.App_ACTIVE, OwnerIds: []string{"uma"}, Permissions: perms("member", "admin")},
			"old":   {Id: "old", Name: "Old", Status: identityv1.App_ARCHIVED, Permissions: perms("user")},
		},
		admins: []string{"admin"},
		open:   []*requestv1.Request{{Id: "req-open", TargetUserId: "bob", AppId: "slack", Status: requestv1.Request_IN_PROGRESS}},
	}
	list := []*identityv1.Access{
		{UserId: "bob", AppId: "figma", Permission: "editor"},
		{UserId: "mia", AppId: "figma", Permission: "viewer"},
		{UserId: "oli", AppId: "figma", Permission: "editor"},
		{UserId: "uma", AppId: "figma", Permission: "viewer"},
		{UserId: "bob", AppId: "slack", Permission: "member"},
		{UserId: "uma", AppId: "slack", Permission: "admin"},
	}
	for _, a := range list {
		a.GrantTime = timestamppb.New(grantTime)
	}
	o.count, o.at = len(list), func(n int) *identityv1.Access { return list[n] }
	return o
}

func (o *org) ListAccesses(_ context.Context, in *identityv1.ListAccessesRequest, _ ...grpc.CallOption) (*identityv1.ListAccessesResponse, error) {
	start := 0
	if in.GetPageToken() != "" {
		start, _ = strconv.Atoi(in.GetPageToken())
	}
	size := int(in.GetPageSize())
	o.mu.Lock()
	o.maxPage = max(o.maxPage, size)
	o.mu.Unlock()
	out := &identityv1.ListAccessesResponse{}
	n := start
	for ; n < o.count && len(out.Accesses) < size; n++ {
		if a := o.at(n); in.GetAppId() == "" || a.GetAppId() == in.GetAppId() {
			out.Accesses = append(out.Accesses, a)
		}
	}
	if n < o.count {
		out.NextPageToken = strconv.Itoa(n)
	}
	return out, nil
}

func (o *org) ListApps(context.Context, *identityv1.ListAppsRequest, ...grpc.CallOption) (*identityv1.ListAppsResponse, error) {
	out := &identityv1.ListAppsResponse{}
	for _, id := range []string{"figma", "old", "slack"} {
		a := o.apps[id]
		out.Apps = append(out.Apps, &identityv1.App{Id: a.Id, Name: a.Name, Status: a.Status, OwnerIds: a.OwnerIds})
	}
	return out, nil
}

func (o *org) GetFacts(_ context.Context, in *identityv1.GetFactsRequest, _ ...grpc.CallOption) (*identityv1.GetFactsResponse, error) {
	out := &identityv1.GetFactsResponse{Users: map[string]*identityv1.UserFacts{}, Apps: map[string]*identityv1.AppFacts{}}
	for _, id := range in.GetUserIds() {
		if u, ok := o.users[id]; ok {
			out.Users[id] = u
		} else if o.genUser != nil {
			out.Users[id] = o.genUser(id)
		}
	}
	for _, id := range in.GetAppIds() {
		if a, ok := o.apps[id]; ok {
			out.Apps[id] = a
		}
	}
	return out, nil
}

func (o *org) ResolveAssignees(_ context.Context, in *identityv1.ResolveAssigneesRequest, _ ...grpc.CallOption) (*identityv1.ResolveAssigneesResponse, error) {
	if in.GetAssignee().GetKind() != typev1.AssigneeKind_ADMINS {
		return nil, status.Error(codes.Unimplemented, "fake resolves ADMINS only")
	}
	return &identityv1.ResolveAssigneesResponse{UserIds: slices.Clone(o.admins)}, nil
}

func (o *org) ListRequests(_ context.Context, in *requestv1.ListRequestsRequest, _ ...grpc.CallOption) (*requestv1.ListRequestsResponse, error) {
	out := &requestv1.ListRequestsResponse{}
	for _, r := range o.open {
		if r.GetAppId() == in.GetAppId() && r.GetStatus() == in.GetStatus() {
			out.Requests = append(out.Requests, r)
		}
	}
	return out, nil
}

func (o *org) SubmitRequest(ctx context.Context, in *requestv1.SubmitRequestRequest, _ ...grpc.CallOption) (*requestv1.Request, error) {
	by := principalOf(ctx)
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byKey == nil {
		o.byKey = map[string]*requestv1.Request{}
	}
	if r, ok := o.byKey[in.GetRequestId()]; ok {
		if r.GetType() != in.GetType() || r.GetPermission() != in.GetPermission() {
			return nil, status.Error(codes.Aborted, "requestId reused with a different body")
		}
		return r, nil
	}
	r := &requestv1.Request{
		Id: fmt.Sprintf("req-%d", len(o.byKey)+1), Type: in.GetType(), RequesterId: by, TargetUserId: in.GetTargetUserId(),
		AppId: in.GetAppId(), Permission: in.GetPermission(), Status: requestv1.Request_IN_PROGRESS, RequestId: in.GetRequestId(),
	}
	o.byKey[in.GetRequestId()] = r
	o.submitted = append(o.submitted, submitted{by: by, req: in})
	return r, nil
}
