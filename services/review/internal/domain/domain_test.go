package domain

import (
	"errors"
	"slices"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)

func TestNewCampaignValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     NewCampaign
		fields []string
	}{
		{"manager", NewCampaign{Name: "Q4", ReviewerKind: ByManager}, nil},
		{"owner with due time", NewCampaign{Name: "Q4", ReviewerKind: ByAppOwner, DueTime: now.Add(time.Hour)}, nil},
		{"users", NewCampaign{Name: "Q4", ReviewerKind: ByUsers, ReviewerUserIDs: []string{"u1"}}, nil},
		{"users without users", NewCampaign{Name: "Q4", ReviewerKind: ByUsers}, []string{"reviewer.user_ids"}},
		{"manager with users", NewCampaign{Name: "Q4", ReviewerKind: ByManager, ReviewerUserIDs: []string{"u1"}}, []string{"reviewer.user_ids"}},
		{"no kind", NewCampaign{Name: "Q4"}, []string{"reviewer.kind"}},
		{"due in the past", NewCampaign{Name: "Q4", ReviewerKind: ByManager, DueTime: now.Add(-time.Second)}, []string{"due_time"}},
		{"due now", NewCampaign{Name: "Q4", ReviewerKind: ByManager, DueTime: now}, []string{"due_time"}},
		{"no name, past", NewCampaign{ReviewerKind: ByUsers, DueTime: now.Add(-time.Hour)}, []string{"reviewer.user_ids", "name", "due_time"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkFields(t, tc.in.Validate(now), tc.fields)
		})
	}
}

func checkFields(t *testing.T, err error, want []string) {
	t.Helper()
	var got []string
	var fe *FieldErrors
	if errors.As(err, &fe) {
		for _, v := range fe.Violations {
			got = append(got, v.Field)
		}
	} else if err != nil {
		t.Fatalf("err = %v, want field errors %v", err, want)
	}
	if !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
}

func TestCampaignStateMachine(t *testing.T) {
	c := NewCampaign{Name: "Q4", ReviewerKind: ByManager}.Create("c1", "admin", now)
	if c.Status != Draft || c.Version != 1 {
		t.Fatalf("created = %+v", c)
	}
	if _, err := c.Close(now); !errors.Is(err, ErrNotActive) {
		t.Errorf("close draft: %v, want ErrNotActive", err)
	}
	a, err := c.Launch(now)
	if err != nil || a.Status != Active || !a.LaunchTime.Equal(now) || a.Version != 2 {
		t.Fatalf("launch = %+v, %v", a, err)
	}
	if _, err := a.Launch(now); !errors.Is(err, ErrNotDraft) {
		t.Errorf("launch twice: %v, want ErrNotDraft", err)
	}
	cl, err := a.Close(now)
	if err != nil || cl.Status != Closed || cl.Version != 3 {
		t.Fatalf("close = %+v, %v", cl, err)
	}
	for _, f := range []func(time.Time) (Campaign, error){cl.Launch, cl.Close} {
		if _, err := f(now); err == nil {
			t.Errorf("a closed campaign moved on")
		}
	}
}

func TestReviewers(t *testing.T) {
	admins := []string{"admin2", "admin1", "uma"}
	for _, tc := range []struct {
		name     string
		c        Campaign
		user     string
		facts    ReviewerFacts
		want     []string
		fellBack bool
	}{
		{"manager", Campaign{ReviewerKind: ByManager}, "uma", ReviewerFacts{ManagerID: "mia", AdminIDs: admins}, []string{"mia"}, false},
		{"no manager: the admins", Campaign{ReviewerKind: ByManager}, "gm", ReviewerFacts{AdminIDs: admins}, []string{"admin1", "admin2", "uma"}, true},
		{"owners, the user left out", Campaign{ReviewerKind: ByAppOwner}, "uma", ReviewerFacts{OwnerIDs: []string{"oli", "uma", "ann"}, AdminIDs: admins}, []string{"ann", "oli"}, false},
		{"sole owner reviews own: the admins without the user", Campaign{ReviewerKind: ByAppOwner}, "uma", ReviewerFacts{OwnerIDs: []string{"uma"}, AdminIDs: admins}, []string{"admin1", "admin2"}, true},
		{"no owner: the admins", Campaign{ReviewerKind: ByAppOwner}, "bob", ReviewerFacts{AdminIDs: admins}, []string{"admin1", "admin2", "uma"}, true},
		{"users", Campaign{ReviewerKind: ByUsers, ReviewerUserIDs: []string{"rev2", "rev1", "rev1"}}, "bob", ReviewerFacts{AdminIDs: admins}, []string{"rev1", "rev2"}, false},
		{"the only named user reviews own", Campaign{ReviewerKind: ByUsers, ReviewerUserIDs: []string{"bob"}}, "bob", ReviewerFacts{AdminIDs: admins}, []string{"admin1", "admin2", "uma"}, true},
		{"an admin's own access: the other admins", Campaign{ReviewerKind: ByManager}, "admin1", ReviewerFacts{AdminIDs: []string{"admin1", "admin2"}}, []string{"admin2"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, fb := tc.c.Reviewers(tc.user, tc.facts)
			if !slices.Equal(got, tc.want) || fb != tc.fellBack {
				t.Errorf("Reviewers = %v, %v; want %v, %v", got, fb, tc.want, tc.fellBack)
			}
		})
	}
}

func TestDecide(t *testing.T) {
	active := Campaign{Status: Active}
	item := Item{ID: "i1", UserID: "uma", AppID: "figma", Permission: "viewer", ReviewerIDs: []string{"mia"}, Status: Pending, Version: 1}
	for _, tc := range []struct {
		name   string
		c      Campaign
		status ItemStatus
		want   error
	}{
		{"pending", active, Pending, nil},
		{"blocked", active, Blocked, ErrItemBlocked},
		{"decided", active, Decided, ErrItemDecided},
		{"not reviewed", active, NotReviewed, ErrItemNotReviewed},
		{"draft campaign", Campaign{Status: Draft}, Pending, ErrNotActive},
		{"closed campaign", Campaign{Status: Closed}, Pending, ErrNotActive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			it := item
			it.Status = tc.status
			if err := it.CheckDecidable(tc.c); !errors.Is(err, tc.want) {
				t.Errorf("CheckDecidable = %v, want %v", err, tc.want)
			}
		})
	}
	perms := []string{"viewer", "editor"}
	for _, tc := range []struct {
		name   string
		v      Verdict
		fields []string
	}{
		{"keep", Verdict{Decision: Keep}, nil},
		{"remove", Verdict{Decision: Remove}, nil},
		{"change", Verdict{Decision: Change, Permission: "editor"}, nil},
		{"change without permission", Verdict{Decision: Change}, []string{"permission"}},
		{"change to unknown", Verdict{Decision: Change, Permission: "owner"}, []string{"permission"}},
		{"change to the same", Verdict{Decision: Change, Permission: "viewer"}, []string{"permission"}},
		{"keep with permission", Verdict{Decision: Keep, Permission: "editor"}, []string{"permission"}},
		{"no decision", Verdict{}, []string{"decision"}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkFields(t, item.ValidateVerdict(tc.v, perms), tc.fields) })
	}
	d := item.Decide(Verdict{Decision: Change, Permission: "editor", Justification: "needs it"}, "mia", now, "r1", "IN_PROGRESS")
	if d.Status != Decided || d.NewPermission != "editor" || d.RequestID != "r1" || d.DecidedBy != "mia" || d.Version != 2 {
		t.Errorf("Decide = %+v", d)
	}
}

func TestBlocking(t *testing.T) {
	item := Item{Status: Pending, Version: 1}
	if r := (Blocking{OwnsApp: true, OpenRequestID: "r1"}).Reason(); r != "owner of the app" {
		t.Errorf("reason = %q", r)
	}
	if r := (Blocking{OpenRequestID: "r1"}).Reason(); r != "open request r1 on the app" {
		t.Errorf("reason = %q", r)
	}
	b, ok := item.Block("owner of the app")
	if !ok || b.Status != Blocked || b.Version != 2 {
		t.Fatalf("Block = %+v, %v", b, ok)
	}
	if _, ok := b.Block("owner of the app"); ok {
		t.Errorf("blocking again for the same reason changed the item")
	}
	u, ok := b.Unblock()
	if !ok || u.Status != Pending || u.BlockedReason != "" {
		t.Errorf("Unblock = %+v, %v", u, ok)
	}
	if _, ok := (Item{Status: Decided}).Block("x"); ok {
		t.Errorf("a decided item was blocked")
	}
}

func TestAuthorization(t *testing.T) {
	item := Item{UserID: "uma", ReviewerIDs: []string{"mia"}}
	for _, tc := range []struct {
		name       string
		c          Caller
		isReviewer bool
		want       Access
		decide     bool
	}{
		{"admin", Caller{"adm", RoleAdmin}, false, Access{true, true, true}, true},
		{"gm", Caller{"gm", RoleGeneralManager}, false, Access{true, true, true}, true},
		{"reviewer", Caller{"mia", RoleUser}, true, Access{See: true}, true},
		{"other user", Caller{"bob", RoleUser}, false, Access{}, false},
		{"reviewed user", Caller{"uma", RoleUser}, false, Access{}, false},
		{"admin reviewing own access", Caller{"uma", RoleAdmin}, false, Access{true, true, true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := CampaignAccess(tc.c, tc.isReviewer); got != tc.want {
				t.Errorf("CampaignAccess = %+v, want %+v", got, tc.want)
			}
			if got := MayDecide(tc.c, item); got != tc.decide {
				t.Errorf("MayDecide = %v, want %v", got, tc.decide)
			}
		})
	}
}
