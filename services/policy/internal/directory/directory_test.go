package directory_test

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/policy/internal/app"
	"github.com/grantflow/grantflow/services/policy/internal/directory"
)

// fakeIdentity knows every id that does not start with "ghost", and records each call.
type fakeIdentity struct {
	identityv1.IdentityInternalServiceClient
	calls []*identityv1.GetFactsRequest
	err   error
}

func (f *fakeIdentity) GetFacts(_ context.Context, r *identityv1.GetFactsRequest, _ ...grpc.CallOption) (*identityv1.GetFactsResponse, error) {
	f.calls = append(f.calls, r)
	if f.err != nil {
		return nil, f.err
	}
	res := &identityv1.GetFactsResponse{Users: map[string]*identityv1.UserFacts{}, Apps: map[string]*identityv1.AppFacts{}}
	for _, id := range r.GetUserIds() {
		if id[:5] != "ghost" {
			res.Users[id] = &identityv1.UserFacts{Id: id, Status: identityv1.User_ACTIVE}
		}
	}
	for _, id := range r.GetAppIds() {
		res.Apps[id] = &identityv1.AppFacts{Id: id, Status: identityv1.App_ARCHIVED, Permissions: []*identityv1.Permission{{Name: "admin"}}, CustomRoleNames: []string{"security"}}
	}
	res.ExistingGroupIds = r.GetGroupIds()
	return res, nil
}

func TestFactsBatchesByTheLimitsOfGetFacts(t *testing.T) {
	fake := &fakeIdentity{}
	var users []string
	for i := range 1201 {
		users = append(users, fmt.Sprintf("user-%04d", i))
	}
	users = append(users, "ghost-1")
	f, err := directory.Identity{Client: fake}.Facts(t.Context(), app.FactsQuery{UserIDs: users, AppIDs: []string{"figma"}, GroupIDs: []string{"sre"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 3 {
		t.Fatalf("%d calls for 1202 users, want 3", len(fake.calls))
	}
	for _, c := range fake.calls {
		if len(c.GetUserIds()) > 500 {
			t.Fatalf("a call with %d users", len(c.GetUserIds()))
		}
	}
	if len(f.Users) != 1201 || !f.Users["user-0000"].Active || !f.Groups["sre"] {
		t.Fatalf("facts: %d users, groups %v", len(f.Users), f.Groups)
	}
	if a := f.Apps["figma"]; !a.Archived || a.Permissions[0] != "admin" || a.CustomRoles[0] != "security" {
		t.Fatalf("app facts: %+v", a)
	}
	fake.calls = nil
	if _, err := (directory.Identity{Client: fake}).Facts(t.Context(), app.FactsQuery{}); err != nil || len(fake.calls) != 0 {
		t.Fatalf("nothing to ask: %d calls, %v", len(fake.calls), err)
	}
}

func TestFactsKeepsTypedErrorsAndNamesAnUnreachableIdentity(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want errs.Kind
	}{
		{status.Error(codes.Unavailable, "connection refused"), errs.KindUnavailable},
		{status.Error(codes.Internal, "internal error (id 1234)"), errs.KindUnavailable},
		{status.Error(codes.PermissionDenied, "this call is internal to Grantflow"), errs.KindPermissionDenied},
		{status.Error(codes.InvalidArgument, "too many"), errs.KindInvalid},
	} {
		_, err := directory.Identity{Client: &fakeIdentity{err: tc.err}}.Facts(t.Context(), app.FactsQuery{UserIDs: []string{"u"}})
		if errs.KindOf(err) != tc.want {
			t.Errorf("%v: kind %v, want %v", tc.err, errs.KindOf(err), tc.want)
		}
	}
}
