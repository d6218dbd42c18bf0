package policy_test

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/servicetest"
	"github.com/grantflow/grantflow/services/policy"
	"github.com/grantflow/grantflow/services/policy/internal/domain"
	"github.com/grantflow/grantflow/services/policy/internal/store"
	"github.com/grantflow/grantflow/services/policy/internal/store/memory"
	"github.com/grantflow/grantflow/services/policy/internal/store/postgres"
)

const (
	benchApps        = 10_000
	benchPermissions = 5 // permission-specific policies per app
)

// BenchmarkResolve measures ResolvePolicy through the kit's real gRPC server chain (on an
// in-memory listener, called as the request service calls it: with a freshly minted
// internal token per call) with 10,000 apps and 5 active permission-specific policies
// each: 50,000 policies, seeded straight into the store. It reports the latency
// percentiles of single calls. 4 in 5 calls hit a permission policy; the others name a
// permission no policy lists and fall through to the system default.
//
//	go test -run xxx -bench BenchmarkResolve -benchtime 5000x
func BenchmarkResolve(b *testing.B) {
	engines := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return memory.New() }},
		{"postgres", func(b *testing.B) store.Store {
			return postgres.New(pgtest.NewDatabase(b, postgres.Schema.Options("")))
		}},
	}
	for _, e := range engines {
		// The parent of sub-benchmarks runs once: the fixture is built once per engine.
		b.Run(e.name, func(b *testing.B) {
			client := benchFixture(b, e.open(b))
			calls := benchCalls(1 << 16)
			b.Run("serial", func(b *testing.B) { benchSerial(b, client, calls) })
			b.Run("parallel", func(b *testing.B) { benchParallel(b, client, calls) })
		})
	}
}

// benchFixture seeds 50,000 policies into st and serves the policy service on it.
func benchFixture(b *testing.B, st store.Store) policyv1.PolicyServiceClient {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	seedBench(b, st)
	log := slog.New(slog.DiscardHandler)
	svc, err := policy.NewWithStore(ctx, policy.Options{Settings: kit.Settings{Logger: log}}, st)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(svc.Close)
	signer, err := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv, _, err := grpcserver.New(grpcserver.Options{Logger: log, Auth: auth.ServerOptions{Signer: signer}})
	if err != nil {
		b.Fatal(err)
	}
	svc.Register(srv)
	client := policyv1.NewPolicyServiceClient(servicetest.Serve(b, srv, servicetest.AsService(signer)...))
	// Warm the index and the connection, and check the fixture answers as it should.
	r, err := client.ResolvePolicy(ctx, &policyv1.ResolvePolicyRequest{RequestType: typev1.RequestType_GRANT_ACCESS, AppId: "app-09999", Permission: "perm-4"})
	if err != nil || r.GetLevel() != policyv1.Level_PERMISSION || r.GetPolicyId() != "pol-09999-4" {
		b.Fatalf("fixture: %v %v", r, err)
	}
	if ix, err := svc.Resolver().Index(ctx); err != nil || ix.Len() != benchApps*benchPermissions+5 {
		b.Fatalf("index: %v", err)
	}
	b.Logf("seeded %d policies in %v", benchApps*benchPermissions, time.Since(start).Round(time.Millisecond))
	return client
}

// seedBench writes the policies straight through the store, 1,000 per transaction, as the
// service would (claims, version 1 active, generation bumped).
func seedBench(b *testing.B, st store.Store) {
	b.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	w := domain.Workflow{
		ReviewSteps: []domain.Step{{Name: "Manager", Assignee: domain.Assignee{Kind: domain.Manager}, Approval: domain.ApprovalAny}},
		ActionStep:  domain.Step{Name: "Provision", Assignee: domain.Assignee{Kind: domain.AppOwner}},
	}
	const perTx = 200 // apps per transaction
	for first := 0; first < benchApps; first += perTx {
		err := st.InTx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			for a := first; a < min(first+perTx, benchApps); a++ {
				for p := range benchPermissions {
					id := fmt.Sprintf("pol-%05d-%d", a, p)
					pol := domain.Policy{ID: id, Name: id, RequestType: domain.GrantAccess, Level: domain.LevelPermission,
						Scope:         domain.Scope{AppID: fmt.Sprintf("app-%05d", a), Permissions: []string{fmt.Sprintf("perm-%d", p)}},
						ActiveVersion: 1, LatestVersion: 1, CreateTime: now, UpdateTime: now, CreateBy: "bench"}
					if err := tx.CreatePolicy(ctx, pol); err != nil {
						return err
					}
					if err := tx.CreateVersion(ctx, domain.Version{PolicyID: id, Version: 1, State: domain.StateDraft, Workflow: w, CreateTime: now, UpdateTime: now, CreateBy: "bench", Revision: 1}); err != nil {
						return err
					}
					if err := tx.ActivateVersion(ctx, id, 1, now); err != nil {
						return err
					}
					if _, err := tx.BumpGeneration(ctx, id); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func benchCalls(n int) []*policyv1.ResolvePolicyRequest {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]*policyv1.ResolvePolicyRequest, n)
	for i := range out {
		perm := fmt.Sprintf("perm-%d", rng.IntN(benchPermissions))
		if rng.IntN(5) == 0 {
			perm = "viewer" // no policy lists it: falls through to the system default
		}
		out[i] = &policyv1.ResolvePolicyRequest{RequestType: typev1.RequestType_GRANT_ACCESS, AppId: fmt.Sprintf("app-%05d", rng.IntN(benchApps)), Permission: perm}
	}
	return out
}

func benchSerial(b *testing.B, client policyv1.PolicyServiceClient, calls []*policyv1.ResolvePolicyRequest) {
	ctx := context.Background()
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := client.ResolvePolicy(ctx, calls[i%len(calls)]); err != nil {
			b.Fatal(err)
		}
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, durations)
}

func benchParallel(b *testing.B, client policyv1.PolicyServiceClient, calls []*policyv1.ResolvePolicyRequest) {
	ctx := context.Background()
	var (
		mu        sync.Mutex
		durations = make([]time.Duration, 0, b.N)
		next      int
	)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		mine := make([]time.Duration, 0, 1024)
		mu.Lock()
		i := next
		next += 7919
		mu.Unlock()
		for pb.Next() {
			i++
			start := time.Now()
			if _, err := client.ResolvePolicy(ctx, calls[i%len(calls)]); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(start))
		}
		mu.Lock()
		durations = append(durations, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	reportPercentiles(b, durations)
}

// reportPercentiles reports the p50, p95 and p99 of single calls, in milliseconds.
func reportPercentiles(b *testing.B, durations []time.Duration) {
	if len(durations) == 0 {
		return
	}
	slices.Sort(durations)
	at := func(q float64) float64 {
		i := min(len(durations)-1, int(q*float64(len(durations))))
		return durations[i].Seconds() * 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}
