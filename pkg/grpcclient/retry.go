package grpcclient

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	// The contracts whose idempotency_level makes the retry policy: every Grantflow proto
	// package, linked here so every process builds the same policy whatever it imports.
	// A new package under proto/grantflow is one more line.
	_ "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	_ "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
)

// ProtoPackagePrefix selects the contracts whose methods the retry policy covers.
const ProtoPackagePrefix = "grantflow."

// RetrySafe reports the methods ("grantflow.policy.v1.PolicyService/GetPolicy") whose
// proto declares `option idempotency_level` NO_SIDE_EFFECTS or IDEMPOTENT, sorted: the
// calls gRPC may send again when the other side is UNAVAILABLE. It is read from the
// registered file descriptors, never from a list typed by hand.
func RetrySafe() []string {
	retrySafeOnce.Do(func() { retrySafe = retrySafeIn(protoregistry.GlobalFiles) })
	return slices.Clone(retrySafe)
}

var (
	retrySafeOnce sync.Once
	retrySafe     []string
)

func retrySafeIn(files *protoregistry.Files) []string {
	var out []string
	files.RangeFiles(func(fd protoreflect.FileDescriptor) bool {
		if !strings.HasPrefix(string(fd.Package()), ProtoPackagePrefix) {
			return true
		}
		for i := 0; i < fd.Services().Len(); i++ {
			svc := fd.Services().Get(i)
			for j := 0; j < svc.Methods().Len(); j++ {
				m := svc.Methods().Get(j)
				if RetrySafeMethod(m) {
					out = append(out, string(svc.FullName())+"/"+string(m.Name()))
				}
			}
		}
		return true
	})
	slices.Sort(out)
	return out
}

// RetrySafeMethod reports whether m declares itself safe to repeat.
func RetrySafeMethod(m protoreflect.MethodDescriptor) bool {
	opts, ok := m.Options().(*descriptorpb.MethodOptions)
	if !ok || opts == nil {
		return false
	}
	switch opts.GetIdempotencyLevel() {
	case descriptorpb.MethodOptions_NO_SIDE_EFFECTS, descriptorpb.MethodOptions_IDEMPOTENT:
		return true
	}
	return false
}

type methodName struct {
	Service string `json:"service"`
	Method  string `json:"method,omitempty"`
}

// ServiceConfig is the gRPC service config every connection gets: gRPC's own retry policy
// (exponential backoff with jitter, done by the gRPC library) for the RetrySafe methods
// only, and round_robin balancing. maxAttempts <= 0 means 4.
func ServiceConfig(maxAttempts int) (string, error) {
	if maxAttempts <= 0 {
		maxAttempts = 4
	}
	safe := RetrySafe()
	names := make([]methodName, 0, len(safe))
	for _, n := range safe {
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
				"maxAttempts":          maxAttempts,
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
