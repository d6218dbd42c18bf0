package hotpath

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/grpcserver"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/pkg/testenv"
	"github.com/grantflow/grantflow/services/identity"
)

const bootstrapKey = "bench-bootstrap-key-0123456789abcdef"

// Organization of the assignee benchmark: 2,000 people in teams of 10 (200 managers, who
// report to the bootstrap admin), 200 apps with 2 owners each, 20 groups of 50 people.
const (
	benchManagers = 200
	benchTeam     = 9 // reports per manager
	benchApps     = 200
	benchGroups   = 20
	benchGroupLen = 50
)

type org struct {
	managers, people, apps, groups []string
}

// BenchmarkResolveAssignees measures IdentityInternalService.ResolveAssignees, which the
// request service calls once per workflow step, through the kit's full gRPC server chain
// (in-memory listener, a freshly minted internal token per call, as the request service
// calls it), on PostgreSQL, cycling through the four kinds the system default and typical
// policies use: MANAGER (of the target), APP_OWNER, USER_GROUPS (a group of 50) and
// ADMINS, each excluding the requester. Two setups:
//
//   - store: no Redis, so every call reads the store (what a cache miss costs);
//   - redis: the directory cache on Redis, warm (what a repeated resolution costs).
//
// It reports p50/p95/p99 of single calls in milliseconds.
//
//	cd bench && go test -run '^$' -bench ResolveAssignees -benchtime 4000x ./hotpath/
func BenchmarkResolveAssignees(b *testing.B) {
	for _, setup := range []string{"store", "redis"} {
		b.Run(setup, func(b *testing.B) {
			var cache *rediscache.Cache
			if setup == "redis" {
				rdb, err := rediscache.Open(testenv.RedisURL(b))
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { rdb.Close() })
				p := make([]byte, 6)
				_, _ = rand.Read(p)
				cache = rediscache.New(rdb, "gf:bench:"+hex.EncodeToString(p)+":", nil)
			}
			internal, o := fixture(b, cache)
			calls := resolveCalls(o)
			ctx := context.Background()
			signer := mustSigner(b)
			call := func(i int) error {
				tok, err := signer.Mint(auth.System())
				if err != nil {
					return err
				}
				_, err = internal.ResolveAssignees(metadata.AppendToOutgoingContext(ctx, auth.MetadataKey, tok), calls[i%len(calls)])
				return err
			}
			if setup == "redis" { // warm the cache with every call the benchmark makes
				for i := range calls {
					if err := call(i); err != nil {
						b.Fatal(err)
					}
				}
			}
			d := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				t0 := time.Now()
				if err := call(i); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(t0))
			}
			b.StopTimer()
			reportMs(b, d)
		})
	}
}

func mustSigner(b *testing.B) *auth.Signer {
	s, err := auth.NewSigner([]byte("0123456789abcdef0123456789abcdef"), "bench")
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// fixture serves identity on a fresh PostgreSQL database behind the kit's server chain and
// onboards the organization through its public API as the bootstrap admin.
func fixture(b *testing.B, cache *rediscache.Cache) (identityv1.IdentityInternalServiceClient, org) {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	svc, err := identity.New(ctx, identity.Options{Settings: kit.Settings{Logger: log, PostgresURL: pgtest.NewEmptyDatabase(b)}, Cache: cache, BootstrapAdminKey: bootstrapKey, SecretsKey: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="})
	if err != nil {
		b.Fatal(err)
	}
	signer := mustSigner(b)
	srv, _, err := grpcserver.New(grpcserver.Options{Logger: log, Auth: auth.ServerOptions{Signer: signer, Authenticator: svc.Authenticator(), InternalOnly: kit.InternalMethod}})
	if err != nil {
		b.Fatal(err)
	}
	svc.Register(srv)
	lis := bufconn.Listen(1 << 20)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///identity",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close(); srv.Stop(); svc.Close() })
	start := time.Now()
	o := seedOrg(b, identityv1.NewIdentityServiceClient(conn))
	b.Logf("onboarded %d people, %d apps, %d groups in %s", len(o.managers)+len(o.people), len(o.apps), len(o.groups), time.Since(start).Round(time.Millisecond))
	return identityv1.NewIdentityInternalServiceClient(conn), o
}

func seedOrg(b *testing.B, pub identityv1.IdentityServiceClient) org {
	b.Helper()
	admin := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+bootstrapKey)
	me, err := pub.GetMe(admin, &identityv1.GetMeRequest{})
	if err != nil {
		b.Fatal(err)
	}
	var o org
	var mu sync.Mutex
	parallel := func(n int, f func(i int) error) {
		g, _ := errgroup.WithContext(admin)
		g.SetLimit(8)
		for i := range n {
			g.Go(func() error { return f(i) })
		}
		if err := g.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	user := func(kind string, i int, manager string) (string, error) {
		u, err := pub.CreateUser(admin, &identityv1.CreateUserRequest{Email: fmt.Sprintf("%s-%05d@bench.grantflow.dev", kind, i),
			DisplayName: fmt.Sprintf("%s %d", kind, i), Role: identityv1.Role_USER, ManagerId: manager})
		return u.GetId(), err
	}
	o.managers = make([]string, benchManagers)
	parallel(benchManagers, func(i int) (err error) {
		o.managers[i], err = user("manager", i, me.GetUser().GetId())
		return err
	})
	o.people = make([]string, benchManagers*benchTeam)
	parallel(len(o.people), func(i int) (err error) {
		o.people[i], err = user("person", i, o.managers[i/benchTeam])
		return err
	})
	parallel(benchApps, func(i int) error {
		a, err := pub.CreateApp(admin, &identityv1.CreateAppRequest{Name: fmt.Sprintf("app-%04d", i),
			OwnerIds:    []string{o.people[(i*7)%len(o.people)], o.people[(i*7+3)%len(o.people)]},
			Permissions: []*identityv1.Permission{{Name: "read"}, {Name: "admin", Privileged: true}}})
		mu.Lock()
		o.apps = append(o.apps, a.GetId())
		mu.Unlock()
		return err
	})
	parallel(benchGroups, func(i int) error {
		members := make([]string, benchGroupLen)
		for j := range members {
			members[j] = o.people[(i*benchGroupLen+j)%len(o.people)]
		}
		g, err := pub.CreateGroup(admin, &identityv1.CreateGroupRequest{Name: fmt.Sprintf("group-%02d", i), MemberIds: members})
		mu.Lock()
		o.groups = append(o.groups, g.GetId())
		mu.Unlock()
		return err
	})
	slices.Sort(o.apps)
	slices.Sort(o.groups)
	return o
}

// resolveCalls: MANAGER, APP_OWNER, USER_GROUPS, ADMINS in turn, for different people
// and apps, each excluding the requester (the target).
func resolveCalls(o org) []*identityv1.ResolveAssigneesRequest {
	var out []*identityv1.ResolveAssigneesRequest
	for i := range 1000 {
		target := o.people[(i*37)%len(o.people)]
		app := o.apps[i%len(o.apps)]
		var a *typev1.Assignee
		switch i % 4 {
		case 0:
			a = &typev1.Assignee{Kind: typev1.AssigneeKind_MANAGER}
		case 1:
			a = &typev1.Assignee{Kind: typev1.AssigneeKind_APP_OWNER}
		case 2:
			a = &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{o.groups[i%len(o.groups)]}}
		default:
			a = &typev1.Assignee{Kind: typev1.AssigneeKind_ADMINS}
		}
		out = append(out, &identityv1.ResolveAssigneesRequest{Assignee: a, TargetUserId: target, AppId: app, ExcludeUserIds: []string{target}})
	}
	return out
}

// reportMs reports p50/p95/p99 of single calls in milliseconds.
func reportMs(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q int) float64 { return d[min(len(d)-1, len(d)*q/100)].Seconds() * 1000 }
	b.ReportMetric(at(50), "p50-ms")
	b.ReportMetric(at(95), "p95-ms")
	b.ReportMetric(at(99), "p99-ms")
}
