package grpcclient

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/stats"

	"github.com/grantflow/grantflow/pkg/auth"
)

// Options configure a client connection.
type Options struct {
	// Signer mints the internal caller token of each call.
	Signer *auth.Signer
	// StatsHandler is the OpenTelemetry handler (otelgrpc.NewClientHandler); nil for none.
	StatsHandler stats.Handler
	// Idempotent lists the calls that may be retried on UNAVAILABLE: whole services
	// ("grantflow.policy.v1.PolicyService") or methods ("grantflow.policy.v1.PolicyService/ResolvePolicy").
	Idempotent []string
	// MaxAttempts of a retried call (default 4).
	MaxAttempts int
}

// Dial returns a lazily connecting client for target ("host:port").
func Dial(target string, o Options) (*grpc.ClientConn, error) {
	if o.Signer == nil {
		return nil, fmt.Errorf("grpcclient: a signer is required to call %s", target)
	}
	sc, err := serviceConfig(o)
	if err != nil {
		return nil, err
	}
	opts := []grpc.DialOption{
		// Service to service traffic stays inside the deployment; TLS termination and mTLS
		// belong to the mesh or a later option (docs/SECURITY.md).
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithChainUnaryInterceptor(auth.UnaryClientInterceptor(o.Signer)),
		grpc.WithChainStreamInterceptor(auth.StreamClientInterceptor(o.Signer)),
		grpc.WithDefaultServiceConfig(sc),
		// Reconnect soon after a peer comes back: gRPC's default backoff grows to 120 s,
		// which would hold an outbox relay back long after a restarted service is up.
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{
			BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 3 * time.Second,
		}, MinConnectTimeout: 5 * time.Second}),
	}
	if o.StatsHandler != nil {
		opts = append(opts, grpc.WithStatsHandler(o.StatsHandler))
	}
	return grpc.NewClient(target, opts...)
}

type methodName struct {
	Service string `json:"service"`
	Method  string `json:"method,omitempty"`
}

// serviceConfig is gRPC's own retry policy (exponential backoff with jitter, done by the
// gRPC library) for the idempotent calls only.
func serviceConfig(o Options) (string, error) {
	attempts := o.MaxAttempts
	if attempts == 0 {
		attempts = 4
	}
	names := make([]methodName, 0, len(o.Idempotent))
	for _, n := range o.Idempotent {
		svc, m, _ := strings.Cut(n, "/")
		names = append(names, methodName{Service: svc, Method: m})
	}
	// round_robin spreads calls over every address the name resolves to (a headless
	// Kubernetes Service gives one per pod); pick_first, the default, would pin each client
	// to one replica.
	cfg := map[string]any{"methodConfig": []any{}, "loadBalancingConfig": []any{map[string]any{"round_robin": map[string]any{}}}}
	if len(names) > 0 {
		cfg["methodConfig"] = []any{map[string]any{
			"name": names,
			"retryPolicy": map[string]any{
				"maxAttempts":          attempts,
				"initialBackoff":       "0.05s",
				"maxBackoff":           "2s",
				"backoffMultiplier":    2.0,
				"retryableStatusCodes": []string{"UNAVAILABLE"},
			},
		}}
	}
	b, err := json.Marshal(cfg)
	return string(b), err
}
