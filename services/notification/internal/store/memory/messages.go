package memory

import (
	"context"
	"slices"
	"time"

	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

type messageKey struct {
	event, user string
	channel     domain.Channel
}

// addMessage stores m under the lock, unless its (event, person, channel) has one.
func (s *Store) addMessage(m domain.Message) {
	k := messageKey{m.EventID, m.UserID, m.Channel}
	if s.messageKeys[k] {
		return
	}
	s.messageKeys[k] = true
	s.seq++
	m.Seq = s.seq
	s.messages = append(s.messages, &m)
	s.messageByID[m.ID] = &m
	if m.Status == domain.Pending {
		s.pendingMessages = append(s.pendingMessages, &m)
	}
}

// livePending drops the messages that finished from the pending list and returns it.
func (s *Store) livePending() []*domain.Message {
	s.pendingMessages = slices.DeleteFunc(s.pendingMessages, func(m *domain.Message) bool { return m.Status != domain.Pending })
	return s.pendingMessages
}

func (s *Store) ClaimMessages(_ context.Context, now, leaseUntil time.Time, limit int) ([]domain.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []domain.Message
	for _, m := range s.livePending() {
		if len(out) >= limit {
			break
		}
		if m.NextAttemptTime.After(now) {
			continue
		}
		m.Attempts++
		m.NextAttemptTime = leaseUntil
		out = append(out, *m)
	}
	return out, nil
}

func (s *Store) FinishMessage(_ context.Context, f store.FinishMessage) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messageByID[f.ID]
	if !ok || m.Status != domain.Pending || m.Attempts != f.Attempt {
		return false, nil
	}
	m.Status, m.LastError, m.UpdateTime = f.Status, f.LastError, f.Now
	for dst, src := range map[*string]string{&m.Title: f.Title, &m.Text: f.Text, &m.Address: f.Address} {
		if src != "" {
			*dst = src
		}
	}
	m.NextAttemptTime = time.Time{}
	switch f.Status {
	case domain.Pending:
		m.NextAttemptTime = f.NextAttemptTime
	case domain.Succeeded:
		m.SendTime = f.Now
	}
	return true, nil
}

func (s *Store) NextMessageDue(_ context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Time
	for _, m := range s.livePending() {
		if t.IsZero() || m.NextAttemptTime.Before(t) {
			t = m.NextAttemptTime
		}
	}
	return t, !t.IsZero(), nil
}

func (s *Store) ListMessages(_ context.Context, userID string, beforeSeq int64, limit int) ([]domain.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []domain.Message{}
	for i := len(s.messages) - 1; i >= 0 && len(out) < limit; i-- {
		m := s.messages[i]
		if (beforeSeq == 0 || m.Seq < beforeSeq) && (userID == "" || m.UserID == userID) {
			out = append(out, *m)
		}
	}
	return out, nil
}

func (s *Store) Settings(_ context.Context, userIDs []string) (map[string]domain.Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]domain.Settings{}
	for _, id := range userIDs {
		if v, ok := s.settings[id]; ok {
			out[id] = v
		}
	}
	return out, nil
}

func (s *Store) UpdateSettings(_ context.Context, userID string, fn func(*domain.Settings) error) (domain.Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.settings[userID]
	if !ok {
		v = domain.Settings{UserID: userID}
	}
	if err := fn(&v); err != nil {
		return domain.Settings{}, err
	}
	v.UserID = userID
	s.settings[userID] = v
	return v, nil
}
