package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// listFixture: six requests of every type, several requesters, targets, apps and statuses,
// created out of id order.
func listFixture(t *testing.T, s store.Store) {
	r1 := grant("r-01", "u-1", "u-1", "a-1")
	r2 := grant("r-02", "u-2", "u-3", "a-2")
	r2.Close(domain.Done, "")
	r3 := grant("r-03", "u-1", "u-2", "a-1")
	r3.Type = domain.RemoveAccess
	r3.Close(domain.Declined, "")
	r4 := grant("r-04", "u-3", "", "")
	r4.Type, r4.TargetManagerID, r4.AppOwnerIDs = domain.AddApp, "", nil
	r4.NewApp = &domain.NewApp{Name: "Linear", OwnerIDs: []string{"u-3"}}
	r5 := grant("r-05", "u-2", "u-1", "a-2")
	r5.Type, r5.PreviousPermission = domain.ChangePermission, "viewer"
	r6 := grant("r-06", "u-1", "", "a-3")
	r6.Type, r6.TargetManagerID = domain.ArchiveApp, ""
	r6.Close(domain.Cancelled, "")
	create(t, s, r3, r6, r1, r5, r2, r4)
}

func (Cases) ListRequestsFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	listFixture(t, s)
	storetestkit.FilterTable(t, func(t *testing.T, f store.Filter) []string { return list(t, s, f, store.Page{}) },
		storetestkit.Lists("all", store.Filter{}, "r-06", "r-05", "r-04", "r-03", "r-02", "r-01"),
		storetestkit.Lists("status", store.Filter{Status: domain.InProgress}, "r-05", "r-04", "r-01"),
		storetestkit.Lists("status none", store.Filter{Status: domain.Failed}),
		storetestkit.Lists("type", store.Filter{Type: domain.GrantAccess}, "r-02", "r-01"),
		storetestkit.Lists("requester", store.Filter{RequesterID: "u-1"}, "r-06", "r-03", "r-01"),
		storetestkit.Lists("target", store.Filter{TargetUserID: "u-1"}, "r-05", "r-01"),
		storetestkit.Lists("app", store.Filter{AppID: "a-1"}, "r-03", "r-01"),
		storetestkit.Lists("app and status", store.Filter{AppID: "a-2", Status: domain.InProgress}, "r-05"),
		storetestkit.Lists("requester and type", store.Filter{RequesterID: "u-1", Type: domain.RemoveAccess}, "r-03"),
		storetestkit.Lists("requester and target", store.Filter{RequesterID: "u-1", TargetUserID: "u-1"}, "r-01"),
		storetestkit.Lists("everything", store.Filter{Status: domain.Done, Type: domain.GrantAccess, RequesterID: "u-2", TargetUserID: "u-3", AppID: "a-2"}, "r-02"),
		storetestkit.Lists("everything, one off", store.Filter{Status: domain.Done, Type: domain.GrantAccess, RequesterID: "u-2", TargetUserID: "u-3", AppID: "a-1"}),
		storetestkit.Lists("unknown requester", store.Filter{RequesterID: "nobody"}),
		storetestkit.Lists("viewer and status", store.Filter{ViewerID: "u-1", Status: domain.InProgress}, "r-05", "r-01"),
		storetestkit.Lists("viewer and app", store.Filter{ViewerID: "u-1", AppID: "a-1"}, "r-03", "r-01"),
		storetestkit.Lists("viewer and type", store.Filter{ViewerID: "u-1", Type: domain.ArchiveApp}, "r-06"),
		storetestkit.Lists("viewer and requester", store.Filter{ViewerID: "u-1", RequesterID: "u-2"}, "r-05"),
		storetestkit.Lists("viewer and target", store.Filter{ViewerID: "owner-of-a-2", TargetUserID: "u-3"}, "r-02"),
		storetestkit.Lists("viewer and a filter it fails", store.Filter{ViewerID: "u-3", Status: domain.Cancelled}),
	)
	// Every listed row is the whole request.
	for _, f := range []store.Filter{{AppID: "a-2"}, {ViewerID: "owner-of-a-2"}, {ViewerID: "owner-of-a-2", Type: domain.ChangePermission}} {
		got := storetestkit.Must(s.ListRequests(ctx, f, store.Page{}))(t)
		var want []domain.Request
		for _, id := range ids(got) {
			want = append(want, storetestkit.Must(s.GetRequest(ctx, id))(t))
		}
		if len(want) == 0 {
			t.Errorf("%+v listed nothing", f)
		}
		storetestkit.Check(t, fmt.Sprintf("rows of %+v", f), got, want)
	}
}

// ListRequestsViewers: a request is listed for each of its ViewerIDs, and for nobody else.
func (Cases) ListRequestsViewers(t *testing.T, s store.Store) {
	v1 := grant("v-1", "req", "tgt", "app")
	v1.TargetManagerID, v1.AppOwnerIDs, v1.AssigneeIDs = "mgr", []string{"own-1", "own-2"}, []string{"asg"}
	// Self-service: requester and target are one person; an owner and the manager review.
	v2 := grant("v-2", "tgt", "tgt", "app")
	v2.TargetManagerID, v2.AppOwnerIDs, v2.AssigneeIDs = "mgr-2", []string{"own-2"}, []string{"own-2", "mgr-2"}
	// ADD_APP: no target, no manager, no owners yet; the new app's owners are not viewers.
	v3 := grant("v-3", "other", "", "")
	v3.Type, v3.TargetManagerID, v3.AppOwnerIDs, v3.AssigneeIDs = domain.AddApp, "", nil, []string{"asg"}
	v3.NewApp = &domain.NewApp{Name: "Notion", OwnerIDs: []string{"new-owner"}}
	v3.Close(domain.Done, "")
	create(t, s, v1, v2, v3)
	for viewer, want := range map[string][]string{
		"req":       {"v-1"},
		"tgt":       {"v-2", "v-1"},
		"mgr":       {"v-1"},
		"mgr-2":     {"v-2"},
		"own-1":     {"v-1"},
		"own-2":     {"v-2", "v-1"},
		"asg":       {"v-3", "v-1"},
		"other":     {"v-3"},
		"new-owner": nil,
		"nobody":    nil,
	} {
		storetestkit.Check(t, viewer, list(t, s, store.Filter{ViewerID: viewer}, store.Page{}), want)
		for _, r := range []domain.Request{v1, v2, v3} {
			if slices.Contains(want, r.ID) != slices.Contains(r.ViewerIDs(), viewer) {
				t.Errorf("fixture: %s listed for %s disagrees with ViewerIDs %v", r.ID, viewer, r.ViewerIDs())
			}
		}
	}
	storetestkit.Check(t, "asg, done", list(t, s, store.Filter{ViewerID: "asg", Status: domain.Done}, store.Page{}), []string{"v-3"})
	storetestkit.Check(t, "own-2, requested by tgt", list(t, s, store.Filter{ViewerID: "own-2", RequesterID: "tgt"}, store.Page{}), []string{"v-2"})
}

// ListRequestsViewersFollowUpdates: an update's ViewerIDs replace the request's viewers; a
// refused update changes none.
func (Cases) ListRequestsViewersFollowUpdates(t *testing.T, s store.Store) {
	r := grant("r-1", "u-1", "u-1", "app")
	r.TargetManagerID, r.AppOwnerIDs, r.AssigneeIDs = "m-1", []string{"o-1"}, []string{"a-1"}
	create(t, s, r)
	r.AddAssignees("a-2")
	r.TargetManagerID, r.AppOwnerIDs = "m-2", []string{"o-2", "a-1"}
	r.Version++
	update(t, s, r)
	for viewer, want := range map[string][]string{
		"u-1": {"r-1"}, "a-1": {"r-1"}, "a-2": {"r-1"}, "o-2": {"r-1"}, "m-2": {"r-1"},
		"o-1": nil, "m-1": nil,
	} {
		storetestkit.Check(t, viewer+" after update", list(t, s, store.Filter{ViewerID: viewer}, store.Page{}), want)
	}

	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		stale := r.Clone()
		stale.AddAssignees("a-3")
		storetestkit.WantErr(t, "stale update", tx.UpdateRequest(ctx, stale), store.ErrConflict)
		missing := r.Clone()
		missing.ID, missing.Version = "r-2", 2
		missing.AddAssignees("a-4")
		storetestkit.WantErr(t, "update of a missing request", tx.UpdateRequest(ctx, missing), store.ErrNotFound)
		return nil
	})
	storetestkit.Check(t, "a-3 after a stale update", list(t, s, store.Filter{ViewerID: "a-3"}, store.Page{}), nil)
	storetestkit.Check(t, "a-4 after an update of a missing request", list(t, s, store.Filter{ViewerID: "a-4"}, store.Page{}), nil)

	// A closed request is still listed for everyone who saw it, under its new status.
	r.Close(domain.Done, "")
	r.Version++
	update(t, s, r)
	storetestkit.Check(t, "a-2 after close", list(t, s, store.Filter{ViewerID: "a-2", Status: domain.Done}, store.Page{}), []string{"r-1"})
	storetestkit.Check(t, "a-2 in progress after close", list(t, s, store.Filter{ViewerID: "a-2", Status: domain.InProgress}, store.Page{}), nil)

	// Every filter of a viewer's list reads the request as it is now.
	r.Type, r.RequesterID, r.TargetUserID, r.AppID = domain.ChangePermission, "u-2", "u-3", "app-2"
	r.Version++
	update(t, s, r)
	for _, tc := range []struct {
		f    store.Filter
		want []string
	}{
		{store.Filter{ViewerID: "a-1", Type: domain.ChangePermission, RequesterID: "u-2", TargetUserID: "u-3", AppID: "app-2"}, []string{"r-1"}},
		{store.Filter{ViewerID: "a-1", Type: domain.GrantAccess}, nil},
		{store.Filter{ViewerID: "a-1", RequesterID: "u-1"}, nil},
		{store.Filter{ViewerID: "a-1", TargetUserID: "u-1"}, nil},
		{store.Filter{ViewerID: "a-1", AppID: "app"}, nil},
		{store.Filter{ViewerID: "u-1"}, nil}, // no longer requester or target
		{store.Filter{ViewerID: "u-2", Status: domain.Done}, []string{"r-1"}},
	} {
		storetestkit.Check(t, fmt.Sprintf("%+v after changing the request", tc.f), list(t, s, tc.f, store.Page{}), tc.want)
	}
}

// ListRequestsNewestFirstByPages pages newest first, through each query shape, by Before.
func (Cases) ListRequestsNewestFirstByPages(t *testing.T, s store.Store) {
	var all []domain.Request
	for _, n := range []int{4, 1, 7, 2, 6, 3, 5} { // created out of order
		r := grant(fmt.Sprintf("r-%02d", n), "u-1", "u-2", "app")
		if n%2 == 0 {
			r.Close(domain.Done, "")
		}
		all = append(all, r)
	}
	create(t, s, all...)
	newestFirst := func(keep func(n int) bool) []string {
		var out []string
		for n := 7; n >= 1; n-- {
			if keep(n) {
				out = append(out, fmt.Sprintf("r-%02d", n))
			}
		}
		return out
	}
	every := newestFirst(func(int) bool { return true })
	odd := newestFirst(func(n int) bool { return n%2 == 1 })
	for _, tc := range []struct {
		f    store.Filter
		want []string
	}{
		{store.Filter{}, every},
		{store.Filter{ViewerID: "u-1"}, every},
		{store.Filter{ViewerID: "owner-of-app"}, every},
		{store.Filter{RequesterID: "u-1"}, every},
		{store.Filter{Status: domain.InProgress}, odd},
		{store.Filter{ViewerID: "u-2", Status: domain.InProgress}, odd},
	} {
		for _, size := range []int{1, 3, 4, 7, 8} {
			var got []string
			before := ""
			for range 10 {
				page := list(t, s, tc.f, store.Page{Size: size, Before: before})
				if len(page) > size {
					t.Fatalf("%+v: page of %d for size %d", tc.f, len(page), size)
				}
				got = append(got, page...)
				if len(page) < size {
					break
				}
				before = page[len(page)-1]
			}
			storetestkit.Check(t, fmt.Sprintf("pages of %d of %+v", size, tc.f), got, tc.want)
		}
		storetestkit.Check(t, fmt.Sprintf("%+v, size 0", tc.f), list(t, s, tc.f, store.Page{}), tc.want)
		storetestkit.Check(t, fmt.Sprintf("%+v, size 0 before r-04", tc.f), list(t, s, tc.f, store.Page{Before: "r-04"}),
			slices.DeleteFunc(slices.Clone(tc.want), func(id string) bool { return id >= "r-04" }))
		// Before need not be a listed id.
		storetestkit.Check(t, fmt.Sprintf("%+v, 2 before r-055", tc.f), list(t, s, tc.f, store.Page{Size: 2, Before: "r-055"}),
			slices.DeleteFunc(slices.Clone(tc.want), func(id string) bool { return id >= "r-055" })[:2])
	}
}

// ListRequestsIDsSortBytewise: ids order bytewise (as Go compares strings), whatever the database's
// locale: upper case before lower, punctuation by its code, UTF-8 after ASCII.
func (Cases) ListRequestsIDsSortBytewise(t *testing.T, s store.Store) {
	idList := []string{"r-a", "R-b", "r-B", "r_a", "r-10", "r-9", "r.a", "r-é", "r-f", "ra", "r-A"}
	var rs []domain.Request
	for _, id := range idList {
		rs = append(rs, grant(id, "u-1", "u-1", "app"))
	}
	create(t, s, rs...)
	want := slices.Clone(idList)
	slices.Sort(want)
	slices.Reverse(want)
	for _, f := range []store.Filter{{}, {ViewerID: "u-1"}, {RequesterID: "u-1"}, {ViewerID: "u-1", Status: domain.InProgress}} {
		storetestkit.Check(t, fmt.Sprintf("%+v", f), list(t, s, f, store.Page{}), want)
		var got []string
		before := ""
		for range len(idList) + 1 {
			page := list(t, s, f, store.Page{Size: 2, Before: before})
			got = append(got, page...)
			if len(page) < 2 {
				break
			}
			before = page[len(page)-1]
		}
		storetestkit.Check(t, fmt.Sprintf("pages of %+v", f), got, want)
	}
}
