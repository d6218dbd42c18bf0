package identity_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// The lookups a provisioning client (SCIM) makes: by email, external id, display name and
// role, over the visibility rules; the external id set on onboarding and edited by an
// Admin or the GM only.
func TestUserLookupsAndExternalID(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		u, err := h.pub.CreateUser(h.As("admin"), &identityv1.CreateUserRequest{
			Email: "Ext.User@Example.com", DisplayName: "Ext User", ManagerId: h.IDs["mona"], ExternalId: "00ujl29u0le5T6Aj10h7"})
		if err != nil {
			t.Fatal(err)
		}
		if u.GetExternalId() != "00ujl29u0le5T6Aj10h7" {
			t.Fatalf("external id after create: %q", u.GetExternalId())
		}
		list := func(as string, r *identityv1.ListUsersRequest) []string {
			t.Helper()
			res, err := h.pub.ListUsers(h.As(as), r)
			if err != nil {
				t.Fatalf("ListUsers(%v): %v", r, err)
			}
			var ids []string
			for _, u := range res.GetUsers() {
				ids = append(ids, u.GetId())
			}
			return ids
		}
		for _, tc := range []struct {
			what string
			as   string
			r    *identityv1.ListUsersRequest
			want []string
		}{
			{"email, any case", "admin", &identityv1.ListUsersRequest{Email: "EXT.USER@example.COM"}, []string{u.GetId()}},
			{"external id", "admin", &identityv1.ListUsersRequest{ExternalId: "00ujl29u0le5T6Aj10h7"}, []string{u.GetId()}},
			{"external id, other case", "admin", &identityv1.ListUsersRequest{ExternalId: "00UJL29U0LE5T6AJ10H7"}, nil},
			{"display name", "admin", &identityv1.ListUsersRequest{DisplayName: "ext user"}, []string{u.GetId()}},
			{"role", "admin", &identityv1.ListUsersRequest{Role: identityv1.Role_GENERAL_MANAGER}, []string{h.IDs["gm"]}},
			{"email and manager", "admin", &identityv1.ListUsersRequest{Email: "ext.user@example.com", ManagerId: h.IDs["gm"]}, nil},
			// Visibility still holds: walt sees neither the new user nor the GM's email lookup.
			{"invisible to walt", "walt", &identityv1.ListUsersRequest{Email: "ext.user@example.com"}, nil},
			{"walt's own manager", "walt", &identityv1.ListUsersRequest{DisplayName: "vera"}, []string{h.IDs["vera"]}},
		} {
			if got := list(tc.as, tc.r); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.what, got, tc.want)
			}
		}

		// A manager edits their report, but not the external id.
		_, err = h.pub.UpdateUser(h.As("mona"), &identityv1.UpdateUserRequest{Id: u.GetId(), User: &identityv1.User{ExternalId: "other"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"external_id"}}})
		if status.Code(err) != codes.PermissionDenied {
			t.Fatalf("manager changing the external id: %v", err)
		}
		got, err := h.pub.UpdateUser(h.As("admin"), &identityv1.UpdateUserRequest{Id: u.GetId(), User: &identityv1.User{ExternalId: "0a21f0f2"}})
		if err != nil || got.GetExternalId() != "0a21f0f2" {
			t.Fatalf("admin changing the external id: %v %v", got, err)
		}
		got, err = h.pub.UpdateUser(h.As("admin"), &identityv1.UpdateUserRequest{Id: u.GetId(), User: &identityv1.User{},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"external_id"}}})
		if err != nil || got.GetExternalId() != "" {
			t.Fatalf("admin clearing the external id: %v %v", got, err)
		}
	})
}
