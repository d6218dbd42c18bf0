package main

import (
	"context"
	"strconv"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

// TestGuessingAKeyIsStoppedOnBothPorts: a loop of guessed API keys from one address gets
// 429 over REST and RESOURCE_EXHAUSTED on the public gRPC port once it has used up
// GRANTFLOW_AUTH_FAILURE_LIMIT, so a short bootstrap key cannot be found by trying.
func TestGuessingAKeyIsStoppedOnBothPorts(t *testing.T) {
	const limit = 10
	s := startSystem(t, systemOptions{authFailureLimit: limit})
	x := newMatrixEnv(t, s)

	limited := 0
	for i := range 3 * limit {
		res, _ := s.doRaw("GET", "/v1/me", "Bearer gf_guess_"+strconv.Itoa(i), nil)
		switch res.StatusCode {
		case 401:
		case 429:
			limited++
			if res.Header.Get("Retry-After") == "" {
				t.Errorf("429 without Retry-After")
			}
		default:
			t.Fatalf("guess %d: %d", i, res.StatusCode)
		}
	}
	if limited < limit {
		t.Errorf("REST: %d of %d guesses limited, want at least %d", limited, 3*limit, limit)
	}

	limited = 0
	for i := range 3 * limit {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer gf_guess_"+strconv.Itoa(i))
		_, err := x.identity.GetMe(ctx, &identityv1.GetMeRequest{})
		switch status.Code(err) {
		case codes.Unauthenticated:
		case codes.ResourceExhausted:
			limited++
		default:
			t.Fatalf("gRPC guess %d: %v", i, err)
		}
	}
	if limited < limit {
		t.Errorf("gRPC: %d of %d guesses limited, want at least %d", limited, 3*limit, limit)
	}
}
