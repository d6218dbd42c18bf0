package app_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store/postgres"
)

const benchAccesses = 100_000

// largeOrg has n accesses to figma, generated on demand (no slice of them), by users
// u000000... whose managers are mgr0..mgr9.
func largeOrg(n int) *org {
	o := smallOrg()
	o.count = n
	gt := timestamppb.New(grantTime)
	o.at = func(i int) *identityv1.Access {
		return &identityv1.Access{UserId: fmt.Sprintf("u%06d", i), AppId: "figma", Permission: "viewer", GrantTime: gt}
	}
	o.genUser = func(id string) *identityv1.UserFacts {
		return &identityv1.UserFacts{Id: id, Status: identityv1.User_ACTIVE, ManagerId: "mgr" + id[len(id)-1:], Email: id + "@example.com"}
	}
	return o
}

// BenchmarkLaunchPostgres launches a MANAGER campaign over 100,000 accesses on PostgreSQL:
// the snapshot streamed from (a fake) identity 500 at a time and written with COPY.
func BenchmarkLaunchPostgres(b *testing.B) {
	db := pgtest.NewDatabase(b, postgres.Schema.Options(""))
	st := postgres.New(db)
	o := largeOrg(benchAccesses)
	s := app.New(app.Options{Store: st, Identity: o, IdentityInternal: o, Requests: o})
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c, err := s.Create(as(b, "admin"), domain.NewCampaign{Name: "bench", ReviewerKind: domain.ByManager, AppIDs: []string{"figma"}})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		v, err := s.Launch(as(b, "admin"), c.ID)
		if err != nil {
			b.Fatal(err)
		}
		if v.Progress.Total != benchAccesses {
			b.Fatalf("launched %d items", v.Progress.Total)
		}
	}
}

// BenchmarkReviewerItemsPostgres lists pages of 50 of one reviewer's items in a campaign
// of 100,000 items, all theirs, from random positions; it reports the p99 latency.
func BenchmarkReviewerItemsPostgres(b *testing.B) {
	db := pgtest.NewDatabase(b, postgres.Schema.Options(""))
	st := postgres.New(db)
	o := largeOrg(benchAccesses)
	s := app.New(app.Options{Store: st, Identity: o, IdentityInternal: o, Requests: o})
	c, err := s.Create(as(b, "admin"), domain.NewCampaign{Name: "bench", ReviewerKind: domain.ByUsers, ReviewerUserIDs: []string{"rev"}, AppIDs: []string{"figma"}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Launch(as(b, "admin"), c.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool().Exec(b.Context(), "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	// Tokens of pages all over the campaign: every 500th item's id.
	var tokens []string
	q := app.ItemQuery{CampaignID: c.ID, PageSize: 500}
	for {
		page, next, err := s.ListItems(as(b, "rev"), q)
		if err != nil {
			b.Fatal(err)
		}
		if len(page) == 0 || next == "" {
			break
		}
		tokens = append(tokens, next)
		q.PageToken = next
	}
	ctx := as(b, "rev")
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		page, _, err := s.ListItems(ctx, app.ItemQuery{CampaignID: c.ID, Status: domain.Pending, PageToken: tokens[rand.IntN(len(tokens))]})
		if err != nil || len(page) == 0 {
			b.Fatalf("page of %d: %v", len(page), err)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
