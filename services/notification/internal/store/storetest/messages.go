package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

func message(eventID, user string, c domain.Channel, due time.Time) domain.Message {
	return domain.Message{
		ID: uuid.NewString(), EventID: eventID, EventType: "task.created", UserID: user, Channel: c,
		Notice: domain.Notice{Kind: domain.TaskOpened, UserID: user, Path: "/requests/r1", RequestID: "r1", TaskType: "REVIEW", DueTime: t0.Add(time.Hour)},
		Link:   "http://localhost:8080/console/requests/r1", Status: domain.Pending, NextAttemptTime: due,
		RetryUntil: due.Add(24 * time.Hour), CreateTime: t0, UpdateTime: t0,
	}
}

func enqueueMessages(t *testing.T, s store.Store, eventID string, ms ...domain.Message) int {
	t.Helper()
	n, err := s.Enqueue(t.Context(), []store.EventDeliveries{{EventID: eventID, Messages: ms}})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return n
}

func claimMessages(t *testing.T, s store.Store, now time.Time, limit int) []domain.Message {
	t.Helper()
	ms, err := s.ClaimMessages(t.Context(), now, now.Add(time.Minute), limit)
	if err != nil {
		t.Fatalf("ClaimMessages: %v", err)
	}
	return ms
}

// Messages: messages come with their event, once per (event, person, channel), and
// keep their notice.
func (Cases) Messages(t *testing.T, s store.Store) {
	ev := uuid.NewString()
	a := message(ev, "u1", domain.Email, t0)
	dup := message(ev, "u1", domain.Email, t0) // same event, person, channel: dropped
	b := message(ev, "u1", domain.Slack, t0)
	c := message(ev, "u2", domain.Email, t0)
	if n := enqueueMessages(t, s, ev, a, dup, b, c); n != 1 {
		t.Fatalf("Enqueue = %d, want 1", n)
	}
	// The same event again adds nothing.
	if n := enqueueMessages(t, s, ev, message(ev, "u3", domain.Email, t0)); n != 0 {
		t.Fatalf("Enqueue again = %d, want 0", n)
	}
	all, err := s.ListMessages(t.Context(), "", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("messages = %d, want 3: %+v", len(all), all)
	}
	if all[2].ID != a.ID || all[1].ID != b.ID || all[0].ID != c.ID {
		t.Fatalf("order (newest first) = %s %s %s", all[0].ID, all[1].ID, all[2].ID)
	}
	got := all[2]
	if got.Notice != a.Notice || got.Link != a.Link || got.Channel != domain.Email || got.Status != domain.Pending ||
		!got.NextAttemptTime.Equal(t0) || !got.RetryUntil.Equal(a.RetryUntil) {
		t.Fatalf("stored %+v, want %+v", got, a)
	}
	if due, ok, err := s.NextMessageDue(t.Context()); err != nil || !ok || !due.Equal(t0) {
		t.Fatalf("NextMessageDue = %v %v %v", due, ok, err)
	}
}

// MessageLease: a claim leases, a stale outcome changes nothing, a retry is due
// again, a success records its send time and what was sent.
func (Cases) MessageLease(t *testing.T, s store.Store) {
	ev := uuid.NewString()
	m := message(ev, "u1", domain.Email, t0)
	later := message(ev, "u2", domain.Email, t0.Add(time.Hour))
	enqueueMessages(t, s, ev, m, later)
	got := claimMessages(t, s, t0, 10)
	if len(got) != 1 || got[0].ID != m.ID || got[0].Attempts != 1 {
		t.Fatalf("claim = %+v", got)
	}
	if again := claimMessages(t, s, t0.Add(time.Second), 10); len(again) != 0 {
		t.Fatalf("claimed while leased: %+v", again)
	}
	next := t0.Add(10 * time.Second)
	ok, err := s.FinishMessage(t.Context(), store.FinishMessage{ID: m.ID, Attempt: 1, Status: domain.Pending,
		LastError: "smtp: connection refused", NextAttemptTime: next, Now: t0.Add(time.Second), Title: "T", Text: "X", Address: "a@x"})
	if err != nil || !ok {
		t.Fatalf("FinishMessage = %v %v", ok, err)
	}
	if got := claimMessages(t, s, next.Add(-time.Microsecond), 10); len(got) != 0 {
		t.Fatalf("claimed before due: %+v", got)
	}
	got = claimMessages(t, s, next, 10)
	if len(got) != 1 || got[0].Attempts != 2 || got[0].LastError != "smtp: connection refused" || got[0].Title != "T" {
		t.Fatalf("second claim = %+v", got)
	}
	if stale, _ := s.FinishMessage(t.Context(), store.FinishMessage{ID: m.ID, Attempt: 1, Status: domain.Failed, Now: next}); stale {
		t.Fatal("a stale attempt's outcome was recorded")
	}
	sent := next.Add(time.Second)
	if ok, err := s.FinishMessage(t.Context(), store.FinishMessage{ID: m.ID, Attempt: 2, Status: domain.Succeeded, Now: sent}); err != nil || !ok {
		t.Fatalf("FinishMessage = %v %v", ok, err)
	}
	list, err := s.ListMessages(t.Context(), "u1", 0, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListMessages = %+v %v", list, err)
	}
	if g := list[0]; g.Status != domain.Succeeded || !g.SendTime.Equal(sent) || !g.NextAttemptTime.IsZero() ||
		g.Title != "T" || g.Text != "X" || g.Address != "a@x" || g.LastError != "" {
		t.Fatalf("sent message = %+v", g)
	}
	if due, ok, _ := s.NextMessageDue(t.Context()); !ok || !due.Equal(later.NextAttemptTime) {
		t.Fatalf("NextMessageDue = %v %v", due, ok)
	}
}

// MessageLog: a person's log pages newest first and shows nobody else's.
func (Cases) MessageLog(t *testing.T, s store.Store) {
	var mine []string
	for range 5 {
		ev := uuid.NewString()
		m := message(ev, "me", domain.Email, t0)
		enqueueMessages(t, s, ev, m, message(ev, "other", domain.Email, t0))
		mine = append(mine, m.ID)
	}
	page1, err := s.ListMessages(t.Context(), "me", 0, 3)
	if err != nil || len(page1) != 3 {
		t.Fatalf("page 1 = %d %v", len(page1), err)
	}
	page2, err := s.ListMessages(t.Context(), "me", page1[2].Seq, 3)
	if err != nil || len(page2) != 2 {
		t.Fatalf("page 2 = %d %v", len(page2), err)
	}
	got := append(page1, page2...)
	for i, m := range got {
		if m.UserID != "me" || m.ID != mine[len(mine)-1-i] {
			t.Fatalf("log[%d] = %s of %s", i, m.ID, m.UserID)
		}
	}
}

// Settings: none until set; each channel kept as set (unset stays unset).
func (Cases) Settings(t *testing.T, s store.Store) {
	got, err := s.Settings(t.Context(), []string{"u1", "u2"})
	if err != nil || len(got) != 0 {
		t.Fatalf("Settings = %+v %v", got, err)
	}
	off := false
	v, err := s.UpdateSettings(t.Context(), "u1", func(v *domain.Settings) error {
		if v.UserID != "u1" || v.Email != nil || v.Slack != nil {
			t.Errorf("fresh settings = %+v", v)
		}
		v.Email, v.UpdateTime = &off, t0
		return nil
	})
	if err != nil || v.Email == nil || *v.Email || v.Slack != nil || !v.UpdateTime.Equal(t0) {
		t.Fatalf("UpdateSettings = %+v %v", v, err)
	}
	on := true
	if _, err := s.UpdateSettings(t.Context(), "u1", func(v *domain.Settings) error {
		if v.Email == nil || *v.Email {
			t.Errorf("stored settings = %+v", v)
		}
		v.Slack, v.UpdateTime = &on, t0.Add(time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err = s.Settings(t.Context(), []string{"u1", "u2"})
	if err != nil || len(got) != 1 {
		t.Fatalf("Settings = %+v %v", got, err)
	}
	if g := got["u1"]; g.Email == nil || *g.Email || g.Slack == nil || !*g.Slack || !g.UpdateTime.Equal(t0.Add(time.Second)) {
		t.Fatalf("u1 = %+v", g)
	}
}
