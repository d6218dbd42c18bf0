package gateway

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// GRPCHealth returns a readiness check (for Options.Ready) that asks the gRPC health
// service behind conn whether the server is SERVING: the backend is reachable and up.
func GRPCHealth(conn grpc.ClientConnInterface) func(context.Context) error {
	c := healthpb.NewHealthClient(conn)
	return func(ctx context.Context) error {
		res, err := c.Check(ctx, &healthpb.HealthCheckRequest{})
		if err != nil {
			return err
		}
		if res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			return fmt.Errorf("status %v", res.GetStatus())
		}
		return nil
	}
}
