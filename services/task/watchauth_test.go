package task_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/codes"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/servicetest"
)

// endsUnauthenticated reads stream to its end (changes may come first) and checks that it
// ended UNAUTHENTICATED.
func endsUnauthenticated(t *testing.T, stream taskv1.TaskService_WatchTasksClient) {
	t.Helper()
	for {
		if _, err := stream.Recv(); err != nil {
			servicetest.WantCode(t, err, codes.Unauthenticated)
			return
		}
	}
}

// TestWatchTasksEndsWhenOffboarded: a watch is authenticated while it lasts, not only when
// it starts. A user offboarded by an Admin loses their open watch with UNAUTHENTICATED (their
// key no longer authenticates, as on any new call), a new watch of theirs is refused, and
// another user's watch goes on.
func TestWatchTasksEndsWhenOffboarded(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx, cancel := context.WithTimeout(context.Background(), servicetest.Hang) // bounds a hang only
		defer cancel()
		xena, vera := h.watchTasks(ctx, "xena", &taskv1.WatchTasksRequest{}), h.watchTasks(ctx, "vera", &taskv1.WatchTasksRequest{})
		for _, s := range []taskv1.TaskService_WatchTasksClient{xena, vera} {
			if _, err := s.Recv(); err != nil { // the cursor: both watches are open
				t.Fatal(err)
			}
		}
		if _, err := h.idPub.OffboardUser(h.As("admin"), &identityv1.OffboardUserRequest{Id: h.IDs["xena"]}); err != nil {
			t.Fatalf("offboard xena: %v", err)
		}
		endsUnauthenticated(t, xena)
		_, err := h.watchTasks(ctx, "xena", &taskv1.WatchTasksRequest{}).Recv()
		servicetest.WantCode(t, err, codes.Unauthenticated)

		opened := h.open(step{request: "req-after", assignees: []string{"vera"}})[0]
		c, err := vera.Recv()
		if err != nil || c.GetTask().GetId() != opened.GetId() {
			t.Fatalf("vera's watch after xena's offboarding: %v, %v; want task %s", c, err, opened.GetId())
		}
	})
}

// TestWatchTasksEndsWhenKeyRevoked: the API key a watch authenticated with, revoked by an
// Admin, ends the watch with UNAUTHENTICATED, as it refuses any new call.
func TestWatchTasksEndsWhenKeyRevoked(t *testing.T) {
	forEachEngine(t, func(t *testing.T, h *harness) {
		ctx, cancel := context.WithTimeout(context.Background(), servicetest.Hang) // bounds a hang only
		defer cancel()
		walt := h.watchTasks(ctx, "walt", &taskv1.WatchTasksRequest{})
		if _, err := walt.Recv(); err != nil {
			t.Fatal(err)
		}
		keys, err := h.idPub.ListApiKeys(h.As("admin"), &identityv1.ListApiKeysRequest{UserId: h.IDs["walt"]})
		if err != nil || len(keys.GetApiKeys()) != 1 {
			t.Fatalf("walt's keys: %v, %v; want one", keys, err)
		}
		if _, err := h.idPub.RevokeApiKey(h.As("admin"), &identityv1.RevokeApiKeyRequest{UserId: h.IDs["walt"], Id: keys.GetApiKeys()[0].GetId()}); err != nil {
			t.Fatalf("revoke walt's key: %v", err)
		}
		endsUnauthenticated(t, walt)
	})
}
