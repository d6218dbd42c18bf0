package killtest_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"
)

// maxReports caps the errors of one kind that are reported one by one.
const maxReports = 5

// capped reports the first maxReports errors of each kind, then how many there were.
type capped struct {
	t *testing.T
	n map[string]int
}

func newCapped(t *testing.T) *capped { return &capped{t: t, n: map[string]int{}} }

func (c *capped) errorf(kind, format string, args ...any) {
	c.t.Helper()
	if c.n[kind]++; c.n[kind] <= maxReports {
		c.t.Errorf(format, args...)
	}
}

func (c *capped) summary() {
	c.t.Helper()
	for kind, n := range c.n {
		if n > maxReports {
			c.t.Errorf("%d times in all: %s", n, kind)
		}
	}
}

// compareLogs checks the audit log against what identity committed: the same event ids,
// each once, with the same content, numbered without gaps, and per subject in commit order.
func compareLogs(t *testing.T, committed, logged []event) {
	t.Helper()
	c := newCapped(t)
	defer c.summary()
	want := map[string]event{}
	for _, e := range committed {
		if _, dup := want[e.id]; dup {
			c.errorf("identity committed an event twice", "identity committed event %s twice", e.id)
		}
		want[e.id] = e
	}
	seen := map[string]int64{}
	for i, e := range logged {
		if e.pos != int64(i+1) {
			c.errorf("gap in the audit seqs", "audit seq %d at position %d: the log has a gap", e.pos, i+1)
		}
		if first, dup := seen[e.id]; dup {
			c.errorf("an event is in audit twice", "event %s is in audit twice: seq %d and %d", e.id, first, e.pos)
			continue
		}
		seen[e.id] = e.pos
		w, ok := want[e.id]
		if !ok {
			c.errorf("audit holds an event identity never committed", "audit seq %d holds event %s (%s %s), which identity never committed", e.pos, e.id, e.action, e.subject)
			continue
		}
		if diff := sameEvent(w, e); diff != "" {
			c.errorf("an event differs between identity and audit", "event %s differs between identity and audit: %s", e.id, diff)
		}
	}
	for _, e := range committed {
		if _, ok := seen[e.id]; !ok {
			c.errorf("an event committed by identity is not in audit", "event %s (%s %s, outbox seq %d) was committed by identity but is not in audit", e.id, e.action, e.subject, e.pos)
		}
	}
	if len(logged) != len(committed) {
		t.Errorf("audit holds %d events, identity committed %d", len(logged), len(committed))
	}
	// Per subject, identity's commit order is its outbox order: a second change of a subject
	// waits for the row lock of the first, so it draws a larger outbox seq.
	wantOrder, gotOrder := bySubject(committed), bySubject(logged)
	for subject, events := range wantOrder {
		if got := ids(gotOrder[subject]); !slices.Equal(got, ids(events)) {
			c.errorf("a subject's events are not in commit order", "subject %s: audit order %v, identity's commit order %v", subject, got, ids(events))
		}
	}
}

// checkAcknowledgedWrites checks the audit log against the load's own acknowledgements:
// each write is there once, in the order the writes committed, and a write identity
// refused left nothing.
func checkAcknowledgedWrites(t *testing.T, wl *load, committed, logged []event, bootstrapEvents int64) {
	t.Helper()
	c := newCapped(t)
	defer c.summary()
	subjects := bySubject(logged)
	tracked := 0
	for subject := range wl.users {
		tracked++
		if got := subjects[subject]; len(got) != 1 || got[0].action != "user.onboarded" {
			c.errorf("an onboarding is not in audit once", "onboarded user %s: audit holds %d events %v, want one user.onboarded", subject, len(got), ids(got))
		}
	}
	for subject, want := range wl.sequential {
		tracked += len(want)
		if got := descriptions(subjects[subject]); !slices.Equal(got, want) {
			c.errorf("a group written by one worker is out of order", "group %s, written by one worker: audit order %v, commit order %v", subject, got, want)
		}
	}
	for subject, byVersion := range wl.contended {
		want, err := inVersionOrder(byVersion)
		if err != nil {
			t.Errorf("group %s: %v", subject, err)
		}
		tracked += len(byVersion)
		if got := descriptions(subjects[subject]); !slices.Equal(got, want) {
			c.errorf("a group written by every worker is out of order", "group %s, written by every worker: audit order %v, commit order by version %v", subject, got, want)
		}
	}
	for _, e := range committed {
		if code, refused := wl.lost[e.description]; refused && e.description != "" {
			c.errorf("a refused write left an event", "a write refused with %s committed event %s (%s %q)", code, e.id, e.action, e.description)
		}
	}
	if int64(tracked) != wl.writes.Load() {
		t.Errorf("the load tracked %d writes but %d were acknowledged", tracked, wl.writes.Load())
	}
	if got := int64(len(committed)) - bootstrapEvents; got != wl.writes.Load() {
		t.Errorf("identity committed %d events after the bootstrap for %d acknowledged writes", got, wl.writes.Load())
	}
}

// inVersionOrder lists the descriptions by version, which must run 1, 2, 3, ... : a gap
// is a write that committed without identity acknowledging it.
func inVersionOrder(byVersion map[int64]string) ([]string, error) {
	versions := make([]int64, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool { return versions[i] < versions[j] })
	out := make([]string, len(versions))
	for i, v := range versions {
		if v != int64(i+1) {
			return out, fmt.Errorf("acknowledged versions %v have a gap at %d: a write committed that identity did not acknowledge", versions, i+1)
		}
		out[i] = byVersion[v]
	}
	return out, nil
}
