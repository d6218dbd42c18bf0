package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

const (
	benchUsers = 10_000
	benchApps  = 500
	benchPage  = 50
)

// BenchmarkRequestLog measures the request service's reads on a store seeded by COPY with
// GRANTFLOW_BENCH_REQUESTS requests (default 100,000), ids UUIDv7 spread over a year:
//
//   - 10,000 users in teams of 10 (each team's manager is a member of the next team), 500
//     apps with one owner each, picked with a Zipf skew (the top app has about a fifth of
//     all requests);
//   - GRANT_ACCESS 60%, CHANGE_PERMISSION 15%, REMOVE_ACCESS 15%, ADD_APP 5%, ARCHIVE_APP
//     5%; requester uniform; the target the requester in 70% of the user requests;
//   - about 5 viewers each: for a user request the requester, the target, the target's
//     manager, the app's owner and one of 20 IT admins (the action step), plus one of 20
//     security reviewers when the requester is the target; for an app request the
//     requester, the requester's manager, an IT admin, a security reviewer and, to archive,
//     the app's owner;
//   - recent requests mostly open: 60% of the newest 5% are IN_PROGRESS, 0.5% of the older
//     ones; the rest DONE, DECLINED, CANCELLED or FAILED.
//
// Each iteration times four calls, reported as p50/p95/p99 in microseconds:
//
//   - user-log: ListRequests(ViewerID: a random user), first page of 50;
//   - admin-status: ListRequests(Status: each status in turn), first page of 50;
//   - get: GetRequest(a random id);
//   - owner-log: ListRequests(ViewerID: the owner of the most requested app), first page.
//
// The plans of the list queries go to stderr. Run it with
//
//	cd services/request && go test -run '^$' -bench RequestLog -benchtime 2000x ./internal/store/postgres/
//	GRANTFLOW_BENCH_REQUESTS=1000000 go test -run '^$' -bench RequestLog -benchtime 2000x -timeout 30m ./internal/store/postgres/
func BenchmarkRequestLog(b *testing.B) {
	n := pgtest.BenchSize(b, "GRANTFLOW_BENCH_REQUESTS", 100_000)
	s := New(pgtest.NewDatabase(b, Schema.Options("")))
	ctx := context.Background()

	start := time.Now()
	ids := seedRequests(b, s, n)
	seeded := time.Since(start)
	// What autovacuum leaves a table in: statistics, and a visibility map for index-only scans.
	for _, q := range []string{"VACUUM ANALYZE requests", "VACUUM ANALYZE request_viewers"} {
		if _, err := s.DB().Pool().Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	var viewers float64
	if err := s.DB().Pool().QueryRow(ctx, "SELECT count(*)::float8 / $1 FROM request_viewers", n).Scan(&viewers); err != nil {
		b.Fatal(err)
	}
	var sizes string
	if err := s.DB().Pool().QueryRow(ctx, `
		SELECT format('requests %s (indexes %s), request_viewers %s (indexes %s)',
			pg_size_pretty(pg_table_size('requests')), pg_size_pretty(pg_indexes_size('requests')),
			pg_size_pretty(pg_table_size('request_viewers')), pg_size_pretty(pg_indexes_size('request_viewers')))`).Scan(&sizes); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d requests (%.2f viewers each) in %s; vacuumed in %s; %s", n, viewers,
		seeded.Round(time.Millisecond), (time.Since(start) - seeded).Round(time.Millisecond), sizes)
	owner := benchOwner(0)
	explain(b, s, "user log of u-04242", store.Filter{ViewerID: "u-04242"})
	explain(b, s, "admin log, IN_PROGRESS", store.Filter{Status: domain.InProgress})
	explain(b, s, "admin log, FAILED", store.Filter{Status: domain.Failed})
	explain(b, s, "owner log of "+owner, store.Filter{ViewerID: owner})
	explain(b, s, "user log of u-04242, IN_PROGRESS", store.Filter{ViewerID: "u-04242", Status: domain.InProgress})
	// The viewer-and-filter shape at its worst: a heavy viewer, a filter that keeps few of
	// its requests or none.
	explain(b, s, "owner log of "+owner+", FAILED", store.Filter{ViewerID: owner, Status: domain.Failed})
	explain(b, s, "owner log of "+owner+", another app", store.Filter{ViewerID: owner, AppID: "app-1"})

	statuses := []domain.Status{domain.InProgress, domain.Done, domain.Declined, domain.Cancelled, domain.Failed}
	rng := rand.New(rand.NewPCG(7, 7))
	var userLog, adminLog, get, ownerLog []time.Duration
	var rows int
	timed := func(lat *[]time.Duration, f store.Filter) {
		t0 := time.Now()
		page, err := s.ListRequests(ctx, f, store.Page{Size: benchPage})
		*lat = append(*lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		rows += len(page)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		timed(&userLog, store.Filter{ViewerID: benchUser(rng.IntN(benchUsers))})
		timed(&adminLog, store.Filter{Status: statuses[i%len(statuses)]})
		id := ids[rng.IntN(len(ids))]
		t0 := time.Now()
		r, err := s.GetRequest(ctx, id)
		get = append(get, time.Since(t0))
		if err != nil || r.ID != id {
			b.Fatalf("GetRequest(%s) = %s, %v", id, r.ID, err)
		}
		timed(&ownerLog, store.Filter{ViewerID: owner})
	}
	b.StopTimer()
	pgtest.ReportPercentiles(b, "user-log", userLog, 50, 95, 99)
	pgtest.ReportPercentiles(b, "admin-status", adminLog, 50, 95, 99)
	pgtest.ReportPercentiles(b, "get", get, 50, 95, 99)
	pgtest.ReportPercentiles(b, "owner-log", ownerLog, 50, 95, 99)
	b.ReportMetric(float64(rows)/float64(3*len(userLog)), "rows/list")
}

func benchUser(u int) string { return fmt.Sprintf("u-%05d", u) }

// benchManager: teams of 10; a team's manager is the first member of the next team.
func benchManager(u int) string { return benchUser((u/10*10 + 10) % benchUsers) }

func benchOwner(app int) string { return benchUser((app*20 + 3) % benchUsers) }

// benchID is a UUIDv7 of instant t: ids sort by creation time, as the service's do.
func benchID(rng *rand.Rand, t time.Time) string {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[8:], rng.Uint64())
	binary.BigEndian.PutUint16(u[6:], uint16(rng.Uint32()))
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		u[5-i] = byte(ms >> (8 * i))
	}
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return u.String()
}

// seedRequests writes n requests and their viewer rows by COPY, in chunks, and returns
// their ids.
func seedRequests(b *testing.B, s *Store, n int) []string {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(3, 4)), 1.1, 1, benchApps-1)
	types := []domain.Type{domain.GrantAccess, domain.GrantAccess, domain.GrantAccess, domain.GrantAccess,
		domain.GrantAccess, domain.GrantAccess, domain.GrantAccess, domain.GrantAccess, domain.GrantAccess,
		domain.GrantAccess, domain.GrantAccess, domain.GrantAccess, domain.ChangePermission, domain.ChangePermission,
		domain.ChangePermission, domain.RemoveAccess, domain.RemoveAccess, domain.RemoveAccess, domain.AddApp, domain.ArchiveApp}
	closed := []domain.Status{domain.Done, domain.Done, domain.Done, domain.Done, domain.Done, domain.Done,
		domain.Done, domain.Done, domain.Done, domain.Done, domain.Done, domain.Done, domain.Done, domain.Done,
		domain.Declined, domain.Declined, domain.Declined, domain.Cancelled, domain.Cancelled, domain.Failed}
	wf := workflowOf(domain.Workflow{
		ReviewSteps: []domain.Step{
			{Name: "Manager review", Assignee: domain.Assignee{Kind: "MANAGER"}, Approval: "ALL"},
			{Name: "Owner review", Assignee: domain.Assignee{Kind: "APP_OWNER"}, Approval: "ANY"},
		},
		ActionStep: domain.Step{Name: "Provision", Assignee: domain.Assignee{Kind: "USER_GROUPS", GroupIDs: []string{"it-admins"}}, Approval: "ANY"},
	})
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(n)

	ids := make([]string, 0, n)
	const chunk = 20_000
	cols := []string{"id", "client_id", "body_hash", "type", "requester_id", "target_user_id", "app_id", "permission",
		"previous_permission", "new_app", "reason", "status", "stage", "failure_reason", "policy_id", "policy_version",
		"policy_level", "workflow", "skip_manager_steps", "step_index", "step_opened", "applying", "task_ids",
		"target_manager_id", "app_owner_ids", "assignee_ids", "create_time", "update_time", "version"}
	for done := 0; done < n; done += chunk {
		var reqRows, viewerRows [][]any
		for i := done; i < min(n, done+chunk); i++ {
			created := t0.Add(time.Duration(i) * step)
			requester := rng.IntN(benchUsers)
			r := domain.Request{
				ID: benchID(rng, created), BodyHash: "h", Type: types[rng.IntN(len(types))],
				RequesterID: benchUser(requester), Permission: "editor", Reason: "needed for the Q3 launch",
				PolicyID: "pol-" + strconv.Itoa(rng.IntN(50)), PolicyVersion: 1, PolicyLevel: "STANDARD",
				CreateTime: created, UpdateTime: created, Version: 4,
			}
			app := int(zipf.Uint64())
			it, sec := benchUser(benchUsers-1-rng.IntN(20)), benchUser(benchUsers-21-rng.IntN(20))
			if r.Type.AboutUser() {
				target := requester
				if rng.IntN(10) >= 7 {
					target = rng.IntN(benchUsers)
				}
				r.TargetUserID, r.AppID = benchUser(target), "app-"+strconv.Itoa(app)
				r.TargetManagerID, r.AppOwnerIDs = benchManager(target), []string{benchOwner(app)}
				r.AssigneeIDs = []string{r.TargetManagerID, benchOwner(app), it}
				if r.TargetUserID == r.RequesterID {
					r.AssigneeIDs = append(r.AssigneeIDs, sec)
				}
			} else {
				r.AssigneeIDs = []string{benchManager(requester), it, sec}
				if r.Type == domain.ArchiveApp {
					r.AppID, r.AppOwnerIDs = "app-"+strconv.Itoa(app), []string{benchOwner(app)}
				} else {
					r.NewApp = &domain.NewApp{Name: "New app", OwnerIDs: []string{r.RequesterID}}
				}
			}
			r.Status, r.Stage, r.StepIndex = closed[rng.IntN(len(closed))], domain.StageClosed, 2
			if (i >= n*95/100 && rng.IntN(10) < 6) || rng.IntN(200) == 0 {
				r.Status, r.Stage, r.StepIndex = domain.InProgress, domain.StageReview, rng.IntN(2)
			}
			r.TaskIDs = []string{uuid.NewString(), uuid.NewString()}
			ids = append(ids, r.ID)
			reqRows = append(reqRows, []any{r.ID, pgstore.NullIfEmpty(r.ClientID), r.BodyHash, r.Type, r.RequesterID, r.TargetUserID,
				r.AppID, r.Permission, r.PreviousPermission, newAppOf(r.NewApp), r.Reason, r.Status, r.Stage, r.FailureReason,
				r.PolicyID, r.PolicyVersion, r.PolicyLevel, wf, r.SkipManagerSteps, r.StepIndex, r.StepOpened, r.Applying,
				r.TaskIDs, r.TargetManagerID, pgstore.OrEmpty(r.AppOwnerIDs), r.AssigneeIDs, r.CreateTime, r.UpdateTime, r.Version})
			for _, v := range r.ViewerIDs() {
				viewerRows = append(viewerRows, []any{v, r.ID, r.Status, r.Type, r.RequesterID, r.TargetUserID, r.AppID})
			}
		}
		if _, err := s.DB().Pool().CopyFrom(ctx, pgx.Identifier{"requests"}, cols, pgx.CopyFromRows(reqRows)); err != nil {
			b.Fatalf("copy requests: %v", err)
		}
		if _, err := s.DB().Pool().CopyFrom(ctx, pgx.Identifier{"request_viewers"},
			[]string{"user_id", "request_id", "status", "type", "requester_id", "target_user_id", "app_id"}, pgx.CopyFromRows(viewerRows)); err != nil {
			b.Fatalf("copy viewers: %v", err)
		}
	}
	return ids
}

// explain logs the plan of a list query as ListRequests sends it, first page.
func explain(b *testing.B, s *Store, what string, f store.Filter) {
	sql, args := listQuery(f, store.Page{Size: benchPage})
	fmt.Fprintf(os.Stderr, "%s:\n%s\n\n", what, pgtest.Explain(b, s.DB().Pool(), sql, args...))
}
