package servicetest

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/timer"
)

func TestAllPagesFollowsTheTokens(t *testing.T) {
	var tokens []string
	got := AllPages(t, func(token string) ([]int, string, error) {
		tokens = append(tokens, token)
		n, _ := strconv.Atoi(token)
		if n == 2 {
			return []int{n}, "", nil
		}
		return []int{n}, strconv.Itoa(n + 1), nil
	})
	if !slices.Equal(got, []int{0, 1, 2}) || !slices.Equal(tokens, []string{"", "1", "2"}) {
		t.Fatalf("AllPages = %v after tokens %q", got, tokens)
	}
}

func TestMustAndTick(t *testing.T) {
	if got := Must("v", nil)(t, "call %d", 1); got != "v" {
		t.Fatalf("Must = %q", got)
	}
	clock := timer.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	due := clock.Now().Add(time.Hour)
	fire := func() int {
		if clock.Now().Before(due) {
			return 0
		}
		return 1
	}
	Tick(t, clock, 59*time.Minute, fire, 0, "before the hour")
	Tick(t, clock, time.Minute, fire, 1, "at the hour")
}

func TestEventuallyWaitsForTheCondition(t *testing.T) {
	n := 0
	Eventually(t, "the third look", func() bool { n++; return n == 3 })
	var rec Recorder
	evs := []*eventsv1.Event{{Id: "a", Action: "x"}, {Id: "b", Action: "y"}, {Id: "a", Action: "x"}, {Id: "c", Action: "x"}}
	if err := rec.DeliverEvents(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	got := rec.Await(t, 2, "x", func(e *eventsv1.Event) bool { return e.GetAction() == "x" })
	if len(got) != 2 || got[0].GetId() != "a" || got[1].GetId() != "c" {
		t.Fatalf("Await = %v, want a and c once each", got)
	}
}

// Until looks again once events arrive, also when they arrive while it looks.
func TestRecorderUntilWakesOnArrivals(t *testing.T) {
	var rec Recorder
	looks := 0
	rec.Until(t, "the event delivered after the first look", func() (bool, string) {
		looks++
		if looks == 1 {
			go func() { _ = rec.DeliverEvents(context.Background(), []*eventsv1.Event{{Id: "a"}}) }()
			return false, "the first look"
		}
		return len(rec.Events()) == 1, strconv.Itoa(len(rec.Events())) + " events"
	})
	if looks != 2 {
		t.Fatalf("%d looks, want 2", looks)
	}
}
