package app_test

import (
	"slices"
	"testing"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/review/internal/app"
	"github.com/grantflow/grantflow/services/review/internal/domain"
	"github.com/grantflow/grantflow/services/review/internal/store"
)

// TestReminder: a day before its due time an ACTIVE campaign reminds the reviewers who
// still have PENDING items, once; a campaign due within a day is reminded at launch; a
// closed campaign and one without a due time are never reminded.
func TestReminder(t *testing.T) {
	engines(t, func(t *testing.T, st store.Store) {
		clock := timer.NewManualClock(now)
		o := smallOrg()
		s := app.New(app.Options{Store: st, Identity: o, IdentityInternal: o, Requests: o, Now: clock.Now, LaunchBatch: 2})
		r := timer.NewRunner[store.Tx](st, timer.Options{Clock: clock})
		s.HandleTimers(r)
		fire := func(want int, when string) {
			t.Helper()
			n, err := r.FireDue(t.Context())
			if err != nil {
				t.Fatalf("FireDue %s: %v", when, err)
			}
			if n != want {
				t.Fatalf("%d timers fired %s, want %d", n, when, want)
			}
		}
		launch := func(name string, due time.Time) domain.Campaign {
			t.Helper()
			c := must(s.Create(as(t, "admin"), domain.NewCampaign{Name: name, ReviewerKind: domain.ByManager, DueTime: due}))(t)
			return must(s.Launch(as(t, "admin"), c.ID))(t).Campaign
		}
		// Each campaign has the small org's six items: PENDING uma/figma and bob/figma
		// (mia's) and mia/figma (gm's); the other three are blocked.
		later := launch("in three days", now.Add(72*time.Hour))
		closed := launch("closed before", now.Add(72*time.Hour))
		soon := launch("in two hours", now.Add(2*time.Hour))
		launch("no due time", time.Time{})

		fire(1, "at launch") // soon's: due within a day
		for _, it := range items(t, s, "mia", later.ID, app.ItemQuery{Status: domain.Pending}) {
			must(s.Decide(as(t, "mia"), later.ID, it.ID, domain.Verdict{Decision: domain.Keep}))(t)
		}
		must(s.Close(as(t, "admin"), closed.ID))(t)

		clock.Advance(48*time.Hour - time.Minute)
		fire(0, "before a day ahead of the due time")
		clock.Advance(time.Minute)
		fire(1, "a day ahead of the due time") // later's; closed's was cancelled
		clock.Advance(30 * 24 * time.Hour)
		fire(0, "a month later")

		for _, sink := range []string{app.SinkAudit, app.SinkNotification} {
			evs, err := st.Pending(t.Context(), sink, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var reminders []*eventsv1.Event
			for _, ev := range evs {
				if ev.GetAction() == app.ActionReminder {
					reminders = append(reminders, ev)
				}
			}
			if len(reminders) != 2 {
				t.Fatalf("%s: %d reminders, want 2 (soon's, later's)", sink, len(reminders))
			}
			for i, want := range []struct {
				c         domain.Campaign
				reviewers []string
			}{{soon, []string{"gm", "mia"}}, {later, []string{"gm"}}} {
				ev, p := reminders[i], reminders[i].GetAccessReviewChanged()
				if p.GetAccessReviewId() != want.c.ID || p.GetName() != want.c.Name || p.GetStatus() != string(domain.Active) ||
					!p.GetDueTime().AsTime().Equal(want.c.DueTime) || !slices.Equal(p.GetItemReviewerIds(), want.reviewers) ||
					ev.GetActorId() != "system" || ev.GetSubject() != "accessReviews/"+want.c.ID {
					t.Errorf("%s: reminder %d: actor %s subject %s payload %v, want %s for %v", sink, i, ev.GetActorId(), ev.GetSubject(), p, want.c.Name, want.reviewers)
				}
			}
		}
	})
}
