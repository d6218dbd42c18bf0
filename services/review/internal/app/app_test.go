package app_test

import (
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	typev1 "github.com/grantflow/grantflow/gen/go/grantflow/type/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
	"github.com/grantflow/grantflow/services/review/internal/store/memory"
	"github.com/grantflow/grantflow/services/review/internal/store/postgres"
)

var roles = map[string]identityv1.Role{"admin": identityv1.Role_ADMIN, "gm": identityv1.Role_GENERAL_MANAGER}

func as(t testing.TB, user string) context.Context {
	role, ok := roles[user]
	if !ok {
		role = identityv1.Role_USER
	}
	return auth.WithPrincipal(t.Context(), auth.Principal{UserID: user, Role: role, CredentialID: "key-" + user})
}

func principalOf(ctx context.Context) string {
	p, _ := auth.FromContext(ctx)
	return p.UserID
}

// engines runs fn on the memory engine and, unless -short, on PostgreSQL (pgtest skips
// without a server, and fails in CI).
func engines(t *testing.T, fn func(t *testing.T, st store.Store)) {
	t.Run("memory", func(t *testing.T) { t.Parallel(); fn(t, memory.New()) })
	if testing.Short() {
		return
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		fn(t, postgres.New(pgtest.NewDatabase(t, postgres.Schema.Options(""))))
	})
}

var now = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

func newService(st store.Store, o *org) *app.Service {
	return app.New(app.Options{Store: st, Identity: o, IdentityInternal: o, Requests: o, Now: func() time.Time { return now }, LaunchBatch: 2})
}

func wantKind(t *testing.T, what string, err error, k errs.Kind) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, k)
	}
	if errs.KindOf(err) != k {
		if st, ok := status.FromError(err); ok && kindOfCode[st.Code()] == k {
			return
		}
		t.Fatalf("%s: %v (kind %v), want %v", what, err, errs.KindOf(err), k)
	}
}

var kindOfCode = map[codes.Code]errs.Kind{codes.Aborted: errs.KindAborted}

// wantFields checks an INVALID_ARGUMENT that names exactly fields.
func wantFields(t *testing.T, what string, err error, fields ...string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindInvalid {
		t.Fatalf("%s: %v, want INVALID_ARGUMENT naming %v", what, err, fields)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	if !slices.Equal(got, fields) {
		t.Errorf("%s: fields %v, want %v", what, got, fields)
	}
}

func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func items(t *testing.T, s *app.Service, user, campaign string, q app.ItemQuery) []domain.Item {
	t.Helper()
	q.CampaignID = campaign
	var out []domain.Item
	for {
		page, next, err := s.ListItems(as(t, user), q)
		if err != nil {
			t.Fatalf("ListItems as %s: %v", user, err)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		q.PageToken = next
	}
}

// byAccess indexes items by "user/app".
func byAccess(its []domain.Item) map[string]domain.Item {
	out := map[string]domain.Item{}
	for _, it := range its {
		out[it.UserID+"/"+it.AppID] = it
	}
	return out
}

func TestManagerCampaign(t *testing.T) {
	engines(t, func(t *testing.T, st store.Store) {
		o := smallOrg()
		s := newService(st, o)
		c := must(s.Create(as(t, "admin"), domain.NewCampaign{Name: "Q4 managers", ReviewerKind: domain.ByManager, DueTime: now.Add(72 * time.Hour)}))(t)
		if c.Status != domain.Draft || c.CreatorID != "admin" {
			t.Fatalf("created %+v", c.Campaign)
		}
		l := must(s.Launch(as(t, "gm"), c.ID))(t)
		// every active app (old is archived): figma 4, slack 2; oli owns figma, uma owns slack,
		// bob has a request open on slack: three blocked.
		if want := (domain.Progress{Total: 6, Pending: 3, Blocked: 3}); l.Progress != want || l.Status != domain.Active {
			t.Fatalf("launched %s %+v, want %+v", l.Status, l.Progress, want)
		}
		if o.maxPage != 2 {
			t.Errorf("launch asked identity for pages of %d, want the batch (2)", o.maxPage)
		}
		_, err := s.Launch(as(t, "admin"), c.ID)
		wantKind(t, "launch twice", err, errs.KindFailedPrecondition)

		all := byAccess(items(t, s, "admin", c.ID, app.ItemQuery{PageSize: 1}))
		for access, want := range map[string][]string{
			"uma/figma": {"mia"}, "bob/figma": {"mia"}, "mia/figma": {"gm"}, "oli/figma": {"gm"}, "uma/slack": {"mia"}, "bob/slack": {"mia"},
		} {
			if got := all[access].ReviewerIDs; !slices.Equal(got, want) {
				t.Errorf("%s reviewers = %v, want %v", access, got, want)
			}
		}
		if it := all["uma/slack"]; it.Status != domain.Blocked || it.BlockedReason != "owner of the app" {
			t.Errorf("uma/slack = %s %q", it.Status, it.BlockedReason)
		}
		if it := all["bob/slack"]; it.Status != domain.Blocked || it.BlockedReason != "open request req-open on the app" {
			t.Errorf("bob/slack = %s %q", it.Status, it.BlockedReason)
		}
		if it := all["oli/figma"]; it.Status != domain.Blocked || it.BlockedReason != "owner of the app" {
			t.Errorf("oli/figma = %s %q", it.Status, it.BlockedReason)
		}

		// mia reviews her reports' items only, and sees the campaign; uma does not.
		mine := items(t, s, "mia", c.ID, app.ItemQuery{})
		if len(mine) != 4 {
			t.Errorf("mia's items = %d, want 4", len(mine))
		}
		_, _, err = s.ListItems(as(t, "mia"), app.ItemQuery{CampaignID: c.ID, ReviewerID: "gm"})
		wantKind(t, "mia lists gm's items", err, errs.KindPermissionDenied)
		must(s.Get(as(t, "mia"), c.ID))(t)
		_, err = s.Get(as(t, "uma"), c.ID)
		wantKind(t, "uma gets the campaign", err, errs.KindNotFound)
		_, err = s.Decide(as(t, "mia"), c.ID, all["mia/figma"].ID, domain.Verdict{Decision: domain.Keep})
		wantKind(t, "mia decides her own access", err, errs.KindNotFound)

		// keep, change, remove
		kept := must(s.Decide(as(t, "mia"), c.ID, all["uma/figma"].ID, domain.Verdict{Decision: domain.Keep, Justification: "still designs"}))(t)
		if kept.Status != domain.Decided || kept.RequestID != "" || kept.DecidedBy != "mia" {
			t.Errorf("kept %+v", kept)
		}
		changed := must(s.Decide(as(t, "mia"), c.ID, all["bob/figma"].ID, domain.Verdict{Decision: domain.Change, Permission: "viewer", Justification: "reads only"}))(t)
		removed := must(s.Decide(as(t, "gm"), c.ID, all["mia/figma"].ID, domain.Verdict{Decision: domain.Remove, Justification: "left design"}))(t)
		if changed.RequestID == "" || removed.RequestID == "" || changed.RequestStatus != "IN_PROGRESS" {
			t.Fatalf("changed %+v removed %+v", changed, removed)
		}
		if len(o.submitted) != 2 {
			t.Fatalf("submitted %d requests, want 2", len(o.submitted))
		}
		ch, rm := o.submitted[0], o.submitted[1]
		if ch.by != "mia" || ch.req.GetType() != typev1.RequestType_CHANGE_PERMISSION || ch.req.GetTargetUserId() != "bob" || ch.req.GetPermission() != "viewer" {
			t.Errorf("change request %s %v", ch.by, ch.req)
		}
		if ch.req.GetOrigin().GetAccessReviewId() != c.ID || ch.req.GetOrigin().GetItemId() != all["bob/figma"].ID {
			t.Errorf("change request origin %v", ch.req.GetOrigin())
		}
		if rm.by != "gm" || rm.req.GetType() != typev1.RequestType_REMOVE_ACCESS || rm.req.GetTargetUserId() != "mia" || rm.req.GetPermission() != "viewer" {
			t.Errorf("remove request %s %v", rm.by, rm.req)
		}
		_, err = s.Decide(as(t, "mia"), c.ID, all["uma/figma"].ID, domain.Verdict{Decision: domain.Remove})
		wantKind(t, "decide a decided item", err, errs.KindFailedPrecondition)
		_, err = s.Decide(as(t, "mia"), c.ID, all["bob/slack"].ID, domain.Verdict{Decision: domain.Keep})
		wantKind(t, "decide a blocked item", err, errs.KindFailedPrecondition)

		g := must(s.Get(as(t, "admin"), c.ID))(t)
		if want := (domain.Progress{Total: 6, Kept: 1, Changed: 1, Removed: 1, Blocked: 3}); g.Progress != want {
			t.Errorf("progress %+v, want %+v", g.Progress, want)
		}
		_, err = s.Close(as(t, "mia"), c.ID)
		wantKind(t, "a reviewer closes", err, errs.KindPermissionDenied)
		cl := must(s.Close(as(t, "admin"), c.ID))(t)
		if want := (domain.Progress{Total: 6, Kept: 1, Changed: 1, Removed: 1, NotReviewed: 3}); cl.Progress != want || cl.Status != domain.Closed {
			t.Errorf("closed %s %+v, want %+v", cl.Status, cl.Progress, want)
		}
		_, err = s.Decide(as(t, "mia"), c.ID, all["oli/figma"].ID, domain.Verdict{Decision: domain.Keep})
		wantKind(t, "decide in a closed campaign", err, errs.KindNotFound) // oli/figma is gm's: mia does not see it
		_, err = s.Decide(as(t, "gm"), c.ID, all["oli/figma"].ID, domain.Verdict{Decision: domain.Keep})
		wantKind(t, "decide in a closed campaign", err, errs.KindFailedPrecondition)
		_, err = s.Close(as(t, "admin"), c.ID)
		wantKind(t, "close twice", err, errs.KindFailedPrecondition)

		checkExport(t, s, c.ID, all, map[string]domain.Item{"uma/figma": kept, "bob/figma": changed, "mia/figma": removed})
		evs, err := st.Pending(t.Context(), app.SinkAudit, 100)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range evs {
			actions = append(actions, ev.GetAction())
		}
		want := []string{app.ActionCreated, app.ActionLaunched, app.ActionItemDecided, app.ActionItemDecided, app.ActionItemDecided, app.ActionClosed}
		if !slices.Equal(actions, want) {
			t.Errorf("audited %v, want %v", actions, want)
		}
		if evs[3].GetRequestId() != changed.RequestID || evs[3].GetAccessReviewItemChanged().GetAccessReviewId() != c.ID {
			t.Errorf("decided event %v", evs[3])
		}
	})
}

// checkExport reads the CSV back row by row.
func checkExport(t *testing.T, s *app.Service, id string, launched, decided map[string]domain.Item) {
	t.Helper()
	var buf strings.Builder
	if err := s.Export(as(t, "gm"), id, func(b []byte) error { buf.Write(b); return nil }); err != nil {
		t.Fatalf("Export: %v", err)
	}
	err := s.Export(as(t, "mia"), id, func([]byte) error { return nil })
	wantKind(t, "a reviewer exports", err, errs.KindPermissionDenied)
	rows, err := csv.NewReader(strings.NewReader(buf.String())).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	if !slices.Equal(rows[0], app.ExportHeader) {
		t.Fatalf("header %v", rows[0])
	}
	if len(rows) != 1+len(launched) {
		t.Fatalf("%d rows, want %d", len(rows)-1, len(launched))
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		access := r[col["user_id"]] + "/" + r[col["app_id"]]
		seen[access] = true
		it := launched[access]
		status, decision, by, when, req, reqStatus, newPerm, just := "NOT_REVIEWED", "", "", "", "", "", "", ""
		if d, ok := decided[access]; ok {
			status, decision, by, when, req, reqStatus, newPerm, just = "DECIDED", string(d.Decision), d.DecidedBy, now.Format(time.RFC3339), d.RequestID, d.RequestStatus, d.NewPermission, d.Justification
		}
		email := it.UserEmail
		if strings.HasPrefix(email, "=") {
			email = "'" + email
		}
		want := map[string]string{
			"item_id": it.ID, "user_email": email, "app_name": it.AppName, "permission": it.Permission,
			"grant_time": grantTime.Format(time.RFC3339), "reviewer_ids": strings.Join(it.ReviewerIDs, ";"),
			"status": status, "decision": decision, "new_permission": newPerm, "decided_by": by, "decide_time": when,
			"justification": just, "request_id": req, "request_status": reqStatus, "blocked_reason": "",
		}
		for h, v := range want {
			if r[col[h]] != v {
				t.Errorf("row %s: %s = %q, want %q", access, h, r[col[h]], v)
			}
		}
	}
	if len(seen) != len(launched) {
		t.Errorf("rows cover %d accesses, want %d", len(seen), len(launched))
	}
}

func TestOwnerCampaignAndSelfReview(t *testing.T) {
	engines(t, func(t *testing.T, st store.Store) {
		o := smallOrg()
		s := newService(st, o)
		c := must(s.Create(as(t, "admin"), domain.NewCampaign{Name: "owners", ReviewerKind: domain.ByAppOwner, AppIDs: []string{"figma"}}))(t)
		must(s.Launch(as(t, "admin"), c.ID))(t)
		all := byAccess(items(t, s, "admin", c.ID, app.ItemQuery{}))
		// oli owns figma and reviews everyone's figma access but his own: the admins do.
		for access, want := range map[string][]string{"uma/figma": {"oli"}, "bob/figma": {"oli"}, "mia/figma": {"oli"}, "oli/figma": {"admin"}} {
			if got := all[access].ReviewerIDs; !slices.Equal(got, want) {
				t.Errorf("%s reviewers = %v, want %v", access, got, want)
			}
		}
		if len(all) != 4 {
			t.Errorf("%d items, want the 4 figma accesses", len(all))
		}
		must(s.Decide(as(t, "oli"), c.ID, all["uma/figma"].ID, domain.Verdict{Decision: domain.Keep}))(t)

		// USERS: uma reviews; her own accesses go to the admins, never to her.
		u := must(s.Create(as(t, "gm"), domain.NewCampaign{Name: "users", ReviewerKind: domain.ByUsers, ReviewerUserIDs: []string{"uma"}, AppIDs: []string{"figma", "slack"}}))(t)
		must(s.Launch(as(t, "gm"), u.ID))(t)
		ua := byAccess(items(t, s, "admin", u.ID, app.ItemQuery{}))
		for access, want := range map[string][]string{"bob/figma": {"uma"}, "uma/figma": {"admin"}, "uma/slack": {"admin"}} {
			if got := ua[access].ReviewerIDs; !slices.Equal(got, want) {
				t.Errorf("users campaign %s reviewers = %v, want %v", access, got, want)
			}
		}
		for _, it := range items(t, s, "uma", u.ID, app.ItemQuery{}) {
			if it.UserID == "uma" {
				t.Errorf("uma reviews her own access %s", it.AppID)
			}
		}
		// uma sees the USERS campaign (she reviews in it) but not the owners one.
		list, _, err := s.List(as(t, "uma"), app.ListQuery{})
		if err != nil || len(list) != 1 || list[0].ID != u.ID {
			t.Errorf("uma lists %v, %v", list, err)
		}
		list, _, _ = s.List(as(t, "admin"), app.ListQuery{Status: domain.Active})
		if len(list) != 2 || list[0].ID != u.ID {
			t.Errorf("admin lists %d active campaigns, newest first", len(list))
		}
	})
}

func TestBadInput(t *testing.T) {
	engines(t, func(t *testing.T, st store.Store) {
		o := smallOrg()
		s := newService(st, o)
		admin := as(t, "admin")
		for _, tc := range []struct {
			name   string
			in     domain.NewCampaign
			fields []string
		}{
			{"unknown app", domain.NewCampaign{Name: "x", ReviewerKind: domain.ByManager, AppIDs: []string{"figma", "nope"}}, []string{"scope.app_ids[1]"}},
			{"archived app", domain.NewCampaign{Name: "x", ReviewerKind: domain.ByManager, AppIDs: []string{"old"}}, []string{"scope.app_ids[0]"}},
			{"users without users", domain.NewCampaign{Name: "x", ReviewerKind: domain.ByUsers}, []string{"reviewer.user_ids"}},
			{"unknown and offboarded users", domain.NewCampaign{Name: "x", ReviewerKind: domain.ByUsers, ReviewerUserIDs: []string{"ghost", "gone"}}, []string{"reviewer.user_ids[0]", "reviewer.user_ids[1]"}},
			{"due in the past", domain.NewCampaign{Name: "x", ReviewerKind: domain.ByManager, DueTime: now.Add(-time.Minute)}, []string{"due_time"}},
		} {
			_, err := s.Create(admin, tc.in)
			wantFields(t, tc.name, err, tc.fields...)
		}
		if list, _, _ := s.List(admin, app.ListQuery{}); len(list) != 0 {
			t.Errorf("bad input wrote %d campaigns", len(list))
		}
		_, err := s.Create(as(t, "mia"), domain.NewCampaign{Name: "x", ReviewerKind: domain.ByManager})
		wantKind(t, "a manager creates", err, errs.KindPermissionDenied)

		c := must(s.Create(admin, domain.NewCampaign{Name: "x", ReviewerKind: domain.ByManager, AppIDs: []string{"figma"}}))(t)
		_, err = s.Launch(as(t, "mia"), c.ID)
		wantKind(t, "a manager launches a draft (no items: not visible)", err, errs.KindNotFound)
		must(s.Launch(admin, c.ID))(t)
		it := byAccess(items(t, s, "mia", c.ID, app.ItemQuery{}))["uma/figma"]
		for _, tc := range []struct {
			name  string
			v     domain.Verdict
			field string
		}{
			{"change without permission", domain.Verdict{Decision: domain.Change}, "permission"},
			{"change to a permission the app lacks", domain.Verdict{Decision: domain.Change, Permission: "owner"}, "permission"},
			{"no decision", domain.Verdict{}, "decision"},
		} {
			_, err := s.Decide(as(t, "mia"), c.ID, it.ID, tc.v)
			wantFields(t, tc.name, err, tc.field)
		}
		if got, _ := st.GetItem(t.Context(), c.ID, it.ID); got.Status != domain.Pending {
			t.Errorf("bad decisions changed the item: %s", got.Status)
		}
		_, _, err = s.ListItems(admin, app.ItemQuery{CampaignID: c.ID, PageToken: "garbage"})
		wantFields(t, "bad page token", err, "page_token")
		_, err = s.Get(admin, "nope")
		wantKind(t, "unknown campaign", err, errs.KindNotFound)
	})
}

// TestAuthorization is the matrix's two review rows, for every role: create, launch,
// close, export (Admin, GM); get, list items, decide (the campaign's reviewers, Admin, GM;
// others NOT_FOUND).
func TestAuthorization(t *testing.T) {
	engines(t, func(t *testing.T, st store.Store) {
		o := smallOrg()
		s := newService(st, o)
		type outcome = errs.Kind
		const ok outcome = -1
		for _, tc := range []struct {
			who                                string
			create, launch, get, items, decide outcome
			closeIt, export                    outcome
		}{
			{"admin", ok, ok, ok, ok, ok, ok, ok},
			{"gm", ok, ok, ok, ok, ok, ok, ok},
			{"mia", errs.KindPermissionDenied, errs.KindPermissionDenied, ok, ok, ok, errs.KindPermissionDenied, errs.KindPermissionDenied},
			{"uma", errs.KindPermissionDenied, errs.KindNotFound, errs.KindNotFound, errs.KindNotFound, errs.KindNotFound, errs.KindNotFound, errs.KindNotFound},
			{"rev", errs.KindPermissionDenied, errs.KindNotFound, errs.KindNotFound, errs.KindNotFound, errs.KindNotFound, errs.KindNotFound, errs.KindNotFound},
		} {
			t.Run(tc.who, func(t *testing.T) {
				ctx := as(t, tc.who)
				check := func(what string, want outcome, err error) {
					t.Helper()
					if want == ok {
						if err != nil {
							t.Errorf("%s: %v, want allowed", what, err)
						}
						return
					}
					wantKind(t, what, err, want)
				}
				_, err := s.Create(ctx, domain.NewCampaign{Name: "m", ReviewerKind: domain.ByManager, AppIDs: []string{"figma"}})
				check("create", tc.create, err)
				// A launched campaign where mia reviews uma's and bob's figma accesses.
				c := must(s.Create(as(t, "admin"), domain.NewCampaign{Name: "m", ReviewerKind: domain.ByManager, AppIDs: []string{"figma"}}))(t)
				c2 := must(s.Create(as(t, "admin"), domain.NewCampaign{Name: "m", ReviewerKind: domain.ByManager, AppIDs: []string{"figma"}}))(t)
				must(s.Launch(as(t, "admin"), c.ID))(t)
				_, err = s.Launch(ctx, c2.ID)
				launchWant := tc.launch
				if tc.who == "mia" {
					launchWant = errs.KindNotFound // a draft has no items: mia reviews nothing in it
				}
				check("launch", launchWant, err)
				_, err = s.Get(ctx, c.ID)
				check("get", tc.get, err)
				_, _, err = s.ListItems(ctx, app.ItemQuery{CampaignID: c.ID})
				check("items", tc.items, err)
				uma := byAccess(items(t, s, "admin", c.ID, app.ItemQuery{}))["uma/figma"]
				_, err = s.Decide(ctx, c.ID, uma.ID, domain.Verdict{Decision: domain.Keep})
				check("decide", tc.decide, err)
				err = s.Export(ctx, c.ID, func([]byte) error { return nil })
				check("export", tc.export, err)
				_, err = s.Close(ctx, c.ID)
				check("close", tc.closeIt, err)
			})
		}
	})
}

// TestTwoReviewersOneItem: two reviewers deciding one item at once, with different
// decisions: exactly one decision is recorded; the other gets FAILED_PRECONDITION or
// ABORTED, and at most the winner's request exists.
func TestTwoReviewersOneItem(t *testing.T) {
	engines(t, func(t *testing.T, st store.Store) {
		o := smallOrg()
		s := newService(st, o)
		c := must(s.Create(as(t, "admin"), domain.NewCampaign{Name: "pair", ReviewerKind: domain.ByUsers, ReviewerUserIDs: []string{"mia", "rev"}, AppIDs: []string{"figma"}}))(t)
		must(s.Launch(as(t, "admin"), c.ID))(t)
		it := byAccess(items(t, s, "admin", c.ID, app.ItemQuery{}))["uma/figma"]
		{
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				wins []string
			)
			verdicts := map[string]domain.Verdict{"mia": {Decision: domain.Remove}, "rev": {Decision: domain.Change, Permission: "editor"}}
			start := make(chan struct{})
			for who, v := range verdicts {
				wg.Go(func() {
					<-start
					_, err := s.Decide(as(t, who), c.ID, it.ID, v)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						wins = append(wins, who)
					case errs.KindOf(err) == errs.KindFailedPrecondition, status.Code(err) == codes.Aborted:
					default:
						t.Errorf("%s: %v", who, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if len(wins) != 1 {
				t.Fatalf("winners %v, want exactly one", wins)
			}
			got := must(st.GetItem(t.Context(), c.ID, it.ID))(t)
			if got.DecidedBy != wins[0] || got.Decision != verdicts[wins[0]].Decision {
				t.Errorf("stored %s by %s, winner %s", got.Decision, got.DecidedBy, wins[0])
			}
			if len(o.submitted) != 1 || o.submitted[0].by != wins[0] {
				t.Errorf("requests opened by %v, want only the winner's", o.submitted)
			}
		}
	})
}
