package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	goredis "github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/testenv"
)

// TestOffboardingReachesEveryPrincipalCache: with Redis, the gateway and the services
// cache credential -> principal. Every such cache lives under identity's prefix, so
// identity's invalidation reaches it: an offboarded user's key stops working at once,
// over REST and over gRPC, not a cache TTL later.
func TestOffboardingReachesEveryPrincipalCache(t *testing.T) {
	redisURL := testenv.RedisURL(t)
	s := startSystem(t, systemOptions{redisURL: redisURL})
	opts, err := goredis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	defer rdb.Close()

	// The gateway authenticates Sara and caches her principal, under identity's prefix. (A
	// cache that found Redis slow steps aside for a moment and stores nothing: call again.)
	sum := sha256.Sum256([]byte(s.key["sara"]))
	waitFor(t, "the gateway's cache entry of Sara's key under gf:identity:", func() (bool, string) {
		s.must("sara", "GET", "/v1/tasks", nil)
		keys, err := rdb.Keys(context.Background(), "gf:identity:principals:*:"+hex.EncodeToString(sum[:])).Result()
		return err == nil && len(keys) == 1, fmt.Sprintf("keys %v, error %v", keys, err)
	})

	// A direct gRPC call: the shared server's authenticator caches her too.
	conn, err := grpc.NewClient(s.a.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tasks := taskv1.NewTaskServiceClient(conn)
	asSara := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+s.key["sara"])
	if _, err := tasks.ListTasks(asSara, &taskv1.ListTasksRequest{}); err != nil {
		t.Fatalf("gRPC as Sara: %v", err)
	}

	s.must("sam", "POST", "/v1/users/"+s.id["sara"]+":offboard", map[string]any{"reason": "left"})
	if code, body := s.call("sara", "GET", "/v1/tasks", nil); code != 401 {
		t.Errorf("REST with an offboarded user's cached key = %d (%v), want 401", code, body)
	}
	if _, err := tasks.ListTasks(asSara, &taskv1.ListTasksRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("gRPC with an offboarded user's cached key: %v, want UNAUTHENTICATED", err)
	}
}
