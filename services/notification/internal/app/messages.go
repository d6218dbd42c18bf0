package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/services/notification/internal/channel"
	"github.com/grantflow/grantflow/services/notification/internal/dispatch"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// Configured reports whether the deployment can send over c.
func (s *Service) Configured(c domain.Channel) bool { return s.channels[c] != nil }

// messages are the messages a batch of events makes: each event's notices over each
// channel its person wants (their settings, read once for the batch).
func (s *Service) messages(ctx context.Context, batch []*eventsv1.Event, now time.Time) (map[string][]domain.Message, error) {
	if len(s.channels) == 0 {
		return nil, nil
	}
	notices := map[string][]domain.Notice{}
	var people []string
	for _, ev := range batch {
		ns := plan(ev)
		if len(ns) == 0 {
			continue
		}
		notices[ev.GetId()] = ns
		for _, n := range ns {
			people = append(people, n.UserID)
		}
	}
	if len(people) == 0 {
		return nil, nil
	}
	settings, err := s.store.Settings(ctx, people)
	if err != nil {
		return nil, err
	}
	out := map[string][]domain.Message{}
	for _, ev := range batch {
		for _, n := range notices[ev.GetId()] {
			for _, c := range domain.Channels {
				if !settings[n.UserID].Wants(c, s.Configured(c)) {
					continue
				}
				out[ev.GetId()] = append(out[ev.GetId()], domain.Message{
					ID: uuid.Must(uuid.NewV7()).String(), EventID: ev.GetId(), EventType: ev.GetAction(), UserID: n.UserID,
					Channel: c, Notice: n, Link: s.console + n.Path, Status: domain.Pending, NextAttemptTime: now,
					RetryUntil: now.Add(s.retry.Window), CreateTime: now, UpdateTime: now,
				})
			}
		}
	}
	return out, nil
}

// messageQueue is the store's message queue as the dispatcher sees it.
type messageQueue struct{ store.Store }

func (q messageQueue) Claim(ctx context.Context, now, leaseUntil time.Time, limit int) ([]domain.Message, error) {
	return q.ClaimMessages(ctx, now, leaseUntil, limit)
}

func (q messageQueue) NextDue(ctx context.Context) (time.Time, bool, error) {
	return q.NextMessageDue(ctx)
}

// send makes one attempt at a claimed message: it looks up what the text needs (the
// person's email and name, the request, the app), puts the notice into words and sends it
// over its channel. A failure a retry cannot cure (no such person, mailbox or Slack user)
// makes it FAILED at once; any other (a channel, identity or request down) leaves it
// PENDING for the next backoff step while its retry window is open.
func (s *Service) send(ctx context.Context, m domain.Message) {
	f := store.FinishMessage{ID: m.ID, Attempt: m.Attempts}
	err := s.deliverMessage(ctx, m, &f)
	if ctx.Err() != nil && err != nil {
		return // shutting down: the lease runs out and the message is tried again
	}
	f.Now = s.clock()
	if err != nil {
		f.LastError = err.Error()
	}
	f.Status, f.NextAttemptTime = s.retry.Settle(err == nil, channel.IsPermanent(err), m.Attempts, f.Now, m.RetryUntil)
	if err := dispatch.Record(ctx, func(ctx context.Context) error { _, err := s.store.FinishMessage(ctx, f); return err }); err != nil {
		s.log.Warn("notification: record message attempt", "message", m.ID, "error", err)
	}
}

func (s *Service) deliverMessage(ctx context.Context, m domain.Message, f *store.FinishMessage) error {
	ch := s.channels[m.Channel]
	if ch == nil {
		return channel.Permanent(fmt.Errorf("channel %s is not configured", m.Channel))
	}
	sys := auth.WithPrincipal(ctx, auth.System())
	n := m.Notice
	if n.RequestID != "" && n.RequestType == "" && s.requests != nil {
		r, err := s.requests.GetRequest(sys, &requestv1.GetRequestRequest{Id: n.RequestID})
		switch {
		case errs.KindOf(err) == errs.KindNotFound:
		case err != nil:
			return fmt.Errorf("request %s: %w", n.RequestID, err)
		default:
			n.RequestType, n.AppID, n.Permission = r.GetType().String(), r.GetAppId(), r.GetPermission()
			n.NewAppName, n.TargetUserID, n.Reason = r.GetNewApp().GetName(), r.GetTargetUserId(), r.GetReason()
		}
	}
	if s.directory == nil {
		return errors.New("no directory to look the person up in")
	}
	q := &identityv1.GetFactsRequest{UserIds: []string{m.UserID}}
	if n.TargetUserID != "" && n.TargetUserID != m.UserID {
		q.UserIds = append(q.UserIds, n.TargetUserID)
	}
	if n.AppID != "" {
		q.AppIds = []string{n.AppID}
	}
	facts, err := s.directory.GetFacts(sys, q)
	if err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	who := facts.GetUsers()[m.UserID]
	switch {
	case who == nil:
		return channel.Permanent(fmt.Errorf("user %s does not exist", m.UserID))
	case who.GetStatus() == identityv1.User_OFFBOARDED:
		return channel.Permanent(fmt.Errorf("user %s is offboarded", m.UserID))
	}
	df := domain.Facts{Names: map[string]string{}, AppName: facts.GetApps()[n.AppID].GetName()}
	for id, u := range facts.GetUsers() {
		df.Names[id] = u.GetDisplayName()
		if df.Names[id] == "" {
			df.Names[id] = u.GetEmail()
		}
	}
	f.Title, f.Text = domain.Render(n, df, m.Link)
	f.Address, err = ch.Send(ctx, channel.Message{ID: m.ID, To: who.GetEmail(), Title: f.Title, Text: f.Text})
	return err
}
