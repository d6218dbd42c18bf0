package identity_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sort"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/rediscache"
	"github.com/grantflow/grantflow/pkg/testenv"
)

// redisCache is a cache on the real Redis, under a prefix of its own so tests do not meet.
func redisCache(t testing.TB) *rediscache.Cache {
	t.Helper()
	rdb, err := rediscache.Open(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return rediscache.New(rdb, "gf:test:"+hex.EncodeToString(b)+":", nil)
}

func TestRedisCacheIsInvalidatedByEveryChangeThatMatters(t *testing.T) {
	h := newHarness(t, harnessOptions{cache: redisCache(t)})
	h.seedOrg()
	authn := func(person string) (*identityv1.AuthenticateResponse, error) {
		return h.internal.Authenticate(h.system(), &identityv1.AuthenticateRequest{Credential: h.Keys[person]})
	}
	// Warm the cache, then change the role: the next answer carries the new role.
	if p, err := authn("walt"); err != nil || p.GetPrincipal().GetRole() != identityv1.Role_USER {
		t.Fatalf("walt: %v %v", p, err)
	}
	if _, err := h.pub.UpdateUser(h.As("gm"), &identityv1.UpdateUserRequest{Id: h.IDs["walt"], User: &identityv1.User{Role: identityv1.Role_ADMIN}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"role"}}}); err != nil {
		t.Fatal(err)
	}
	if p, err := authn("walt"); err != nil || p.GetPrincipal().GetRole() != identityv1.Role_ADMIN {
		t.Fatalf("stale role after change: %v %v", p, err)
	}
	// Revoke: the cached principal is gone at once.
	keys, err := h.pub.ListApiKeys(h.As("admin"), &identityv1.ListApiKeysRequest{UserId: h.IDs["uma"]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := authn("uma"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.pub.RevokeApiKey(h.As("admin"), &identityv1.RevokeApiKeyRequest{UserId: h.IDs["uma"], Id: keys.GetApiKeys()[0].GetId()}); err != nil {
		t.Fatal(err)
	}
	_, err = authn("uma")
	wantCode(t, err, codes.Unauthenticated)
	// Resolution answers follow group changes.
	g, err := h.pub.CreateGroup(h.As("admin"), &identityv1.CreateGroupRequest{Name: "oncall", MemberIds: []string{h.IDs["otto"]}})
	if err != nil {
		t.Fatal(err)
	}
	resolve := func() []string {
		res, err := h.internal.ResolveAssignees(h.system(), &identityv1.ResolveAssigneesRequest{Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{g.GetId()}}})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetUserIds()
	}
	if got := resolve(); !slices.Equal(got, []string{h.IDs["otto"]}) {
		t.Fatalf("resolved %v", got)
	}
	if _, err := h.pub.UpdateGroup(h.As("admin"), &identityv1.UpdateGroupRequest{Id: g.GetId(), Group: &identityv1.Group{MemberIds: []string{h.IDs["vera"]}}}); err != nil {
		t.Fatal(err)
	}
	if got := resolve(); !slices.Equal(got, []string{h.IDs["vera"]}) {
		t.Fatalf("stale resolution after the group changed: %v", got)
	}
}

// The cached part of a resolution is shared by every request whatever its requester (the
// key holds no exclusion), and each answer still leaves out its own request's people.
func TestCachedResolutionLeavesOutEachRequestsPeople(t *testing.T) {
	h := newHarness(t, harnessOptions{cache: redisCache(t)})
	h.seedOrg()
	g, err := h.pub.CreateGroup(h.As("admin"), &identityv1.CreateGroupRequest{Name: "pair", MemberIds: []string{h.IDs["otto"], h.IDs["vera"]}})
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(exclude ...string) []string {
		res, err := h.internal.ResolveAssignees(h.system(), &identityv1.ResolveAssigneesRequest{
			Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_USER_GROUPS, GroupIds: []string{g.GetId()}}, ExcludeUserIds: exclude,
		})
		if err != nil {
			t.Fatal(err)
		}
		return res.GetUserIds()
	}
	both := []string{h.IDs["otto"], h.IDs["vera"]}
	sort.Strings(both)
	for range 2 { // the second round from the cache
		if got := resolve(); !slices.Equal(got, both) {
			t.Fatalf("nobody left out: resolved %v, want %v", got, both)
		}
		if got := resolve(h.IDs["otto"]); !slices.Equal(got, []string{h.IDs["vera"]}) {
			t.Fatalf("otto left out: resolved %v", got)
		}
		if got := resolve(h.IDs["vera"]); !slices.Equal(got, []string{h.IDs["otto"]}) {
			t.Fatalf("vera left out: resolved %v", got)
		}
	}
}

func TestEverythingWorksWithRedisDown(t *testing.T) {
	rdb, err := rediscache.Open("redis://127.0.0.1:1/0") // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	h := newHarness(t, harnessOptions{cache: rediscache.New(rdb, "gf:down:", nil)})
	h.seedOrg()
	if _, err := h.pub.GetMe(h.As("uma"), &identityv1.GetMeRequest{}); err != nil {
		t.Fatal(err)
	}
	res, err := h.internal.ResolveAssignees(h.system(), &identityv1.ResolveAssigneesRequest{Assignee: &typev1.Assignee{Kind: typev1.AssigneeKind_MANAGER}, TargetUserId: h.IDs["uma"]})
	if err != nil || !slices.Equal(res.GetUserIds(), []string{h.IDs["mona"]}) {
		t.Fatalf("resolution with Redis down: %v %v", res, err)
	}
}

// BenchmarkPrincipalLookupWarmCache measures turning an API key into a principal with the
// Redis cache warm (one Redis round trip), and reports percentiles.
func BenchmarkPrincipalLookupWarmCache(b *testing.B) {
	h := newHarness(b, harnessOptions{cache: redisCache(b)})
	h.seedOrg()
	key := h.Keys["uma"]
	authn := h.svc.Authenticator()
	ctx := context.Background()
	if _, err := authn.Authenticate(ctx, key); err != nil {
		b.Fatal(err)
	}
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := authn.Authenticate(ctx, key); err != nil {
			b.Fatal(err)
		}
		durs = append(durs, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, durs)
}

func reportPercentiles(b *testing.B, durs []time.Duration) {
	sort.Slice(durs, func(i, j int) bool { return durs[i] < durs[j] })
	pick := func(q float64) float64 { return float64(durs[int(q*float64(len(durs)-1))].Microseconds()) }
	b.ReportMetric(pick(0.50), "p50-µs")
	b.ReportMetric(pick(0.95), "p95-µs")
	b.ReportMetric(pick(0.99), "p99-µs")
}
