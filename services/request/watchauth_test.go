package request_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

// TestWatchRequestEndsWhenOffboarded: a watch is authenticated while it lasts, not only when
// it starts. A requester offboarded by an Admin loses their open watch with UNAUTHENTICATED
// (their key no longer authenticates, as on any new call) and a new watch of theirs is
// refused; the Admin still watches the request.
func TestWatchRequestEndsWhenOffboarded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx, cancel := context.WithTimeout(context.Background(), servicetest.Hang) // bounds a hang only
		defer cancel()
		r := h.submit("uma", h.grant("", "Figma", "editor"))
		watch := func(person string) requestv1.RequestService_WatchRequestClient {
			s, err := h.req.WatchRequest(withCaller(ctx, h.as(person)), &requestv1.WatchRequestRequest{Id: r.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		uma := watch("uma")
		if _, err := uma.Recv(); err != nil { // the first change: the watch is open
			t.Fatal(err)
		}
		if _, err := h.id.OffboardUser(h.as("admin"), &identityv1.OffboardUserRequest{Id: h.ids["uma"]}); err != nil {
			t.Fatalf("offboard uma: %v", err)
		}
		var err error
		for err == nil {
			_, err = uma.Recv() // the request's changes up to now and as they come, then the end
		}
		if code(err) != codes.Unauthenticated {
			t.Fatalf("uma's watch after her offboarding ended with %v, want UNAUTHENTICATED", err)
		}
		if _, err := watch("uma").Recv(); code(err) != codes.Unauthenticated {
			t.Fatalf("a new watch of uma's after her offboarding: %v, want UNAUTHENTICATED", err)
		}
		if c, err := watch("admin").Recv(); err != nil || c.GetVersion() != 1 {
			t.Fatalf("the admin's watch: %v, %v; want the request's first change", c, err)
		}
	})
}

// withCaller is ctx calling with the credentials of as (a context of h.as).
func withCaller(ctx, as context.Context) context.Context {
	md, _ := metadata.FromOutgoingContext(as)
	return metadata.NewOutgoingContext(ctx, md)
}
