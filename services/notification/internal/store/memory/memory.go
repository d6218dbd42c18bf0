package memory

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// Store is the in-memory notification store.
type Store struct {
	mu         sync.Mutex
	seq        int64
	webhooks   map[string]*domain.Webhook
	events     map[string]struct{}
	deliveries map[string]*domain.Delivery
	// byWebhook holds each subscription's deliveries in Seq order; pending the Pending
	// ones of every subscription in Seq order, and some that finished since (dead of
	// them): Finish leaves them for compact, so that it costs no walk of the queue.
	byWebhook map[string][]*domain.Delivery
	pending   []*domain.Delivery
	queued    map[*domain.Delivery]bool
	dead      int

	// messages in Seq order, and by id; pendingMessages the Pending ones in Seq order (and
	// some that finished since, dropped at the next walk); messageKeys the (event, person,
	// channel) of each.
	messages        []*domain.Message
	messageByID     map[string]*domain.Message
	pendingMessages []*domain.Message
	messageKeys     map[messageKey]bool
	settings        map[string]domain.Settings
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		webhooks:   map[string]*domain.Webhook{},
		events:     map[string]struct{}{},
		deliveries: map[string]*domain.Delivery{},
		byWebhook:  map[string][]*domain.Delivery{},
		queued:     map[*domain.Delivery]bool{},

		messageKeys: map[messageKey]bool{},
		messageByID: map[string]*domain.Message{},
		settings:    map[string]domain.Settings{},
	}
}

func cloneWebhook(w *domain.Webhook) domain.Webhook {
	c := *w
	c.EventTypes = slices.Clone(w.EventTypes)
	c.Secret = slices.Clone(w.Secret)
	return c
}

func (s *Store) CreateWebhook(_ context.Context, w domain.Webhook) (domain.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.webhooks[w.ID]; ok {
		return domain.Webhook{}, store.ErrConflict
	}
	s.seq++
	w.Seq = s.seq
	c := cloneWebhook(&w)
	s.webhooks[w.ID] = &c
	return cloneWebhook(&c), nil
}

func (s *Store) GetWebhook(_ context.Context, id string) (domain.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.webhooks[id]
	if !ok {
		return domain.Webhook{}, store.ErrNotFound
	}
	return cloneWebhook(w), nil
}

func (s *Store) sortedWebhooks() []*domain.Webhook {
	all := make([]*domain.Webhook, 0, len(s.webhooks))
	for _, w := range s.webhooks {
		all = append(all, w)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Seq < all[j].Seq })
	return all
}

func (s *Store) ListWebhooks(_ context.Context, afterSeq int64, limit int) ([]domain.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []domain.Webhook{}
	for _, w := range s.sortedWebhooks() {
		if w.Seq > afterSeq && len(out) < limit {
			out = append(out, cloneWebhook(w))
		}
	}
	return out, nil
}

func (s *Store) EnabledWebhooks(_ context.Context) ([]domain.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []domain.Webhook{}
	for _, w := range s.sortedWebhooks() {
		if !w.Disabled {
			out = append(out, cloneWebhook(w))
		}
	}
	return out, nil
}

func (s *Store) UpdateWebhook(_ context.Context, id string, fn func(*domain.Webhook) error) (domain.Webhook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.webhooks[id]
	if !ok {
		return domain.Webhook{}, store.ErrNotFound
	}
	c := cloneWebhook(w)
	if err := fn(&c); err != nil {
		return domain.Webhook{}, err
	}
	c.ID, c.Seq = w.ID, w.Seq
	s.webhooks[id] = &c
	return cloneWebhook(&c), nil
}

func (s *Store) DeleteWebhook(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.webhooks[id]; !ok {
		return store.ErrNotFound
	}
	delete(s.webhooks, id)
	for _, d := range s.byWebhook[id] {
		delete(s.deliveries, d.ID)
	}
	delete(s.byWebhook, id)
	s.pending = slices.DeleteFunc(s.pending, func(d *domain.Delivery) bool {
		if d.WebhookID != id {
			return false
		}
		if d.Status != domain.Pending {
			s.dead--
		}
		delete(s.queued, d)
		return true
	})
	return nil
}

// add stores d under the lock; false when its subscription is gone or its id is taken.
func (s *Store) add(d domain.Delivery) (*domain.Delivery, bool) {
	if _, ok := s.webhooks[d.WebhookID]; !ok {
		return nil, false
	}
	if _, ok := s.deliveries[d.ID]; ok {
		return nil, false
	}
	s.seq++
	d.Seq = s.seq
	p := &d
	s.deliveries[d.ID] = p
	s.byWebhook[d.WebhookID] = append(s.byWebhook[d.WebhookID], p)
	if d.Status == domain.Pending {
		s.pending = append(s.pending, p) // the newest Seq: order kept
		s.queued[p] = true
	}
	return p, true
}

func (s *Store) Enqueue(_ context.Context, events []store.EventDeliveries) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range events {
		if _, ok := s.events[e.EventID]; ok {
			continue
		}
		s.events[e.EventID] = struct{}{}
		n++
		for _, d := range e.Deliveries {
			s.add(d)
		}
		for _, m := range e.Messages {
			s.addMessage(m)
		}
	}
	return n, nil
}

func (s *Store) AddDelivery(_ context.Context, d domain.Delivery) (domain.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.webhooks[d.WebhookID]; !ok {
		return domain.Delivery{}, store.ErrNotFound
	}
	p, ok := s.add(d)
	if !ok {
		return domain.Delivery{}, store.ErrConflict
	}
	return *p, nil
}

func (s *Store) Claim(_ context.Context, now, leaseUntil time.Time, limit int) ([]domain.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type key struct{ webhook, subject string }
	seen := map[key]bool{}
	var jobs []domain.Job
	s.compact()
	for _, d := range s.pending {
		if len(jobs) >= limit {
			break
		}
		if d.Status != domain.Pending {
			continue
		}
		k := key{d.WebhookID, d.Subject}
		if seen[k] {
			continue // an earlier delivery of the subject is pending
		}
		seen[k] = true
		if d.NextAttemptTime.After(now) {
			continue
		}
		w := s.webhooks[d.WebhookID]
		d.Attempts++
		d.NextAttemptTime = leaseUntil
		jobs = append(jobs, domain.Job{Delivery: *d, URL: w.URL, Secret: slices.Clone(w.Secret)})
	}
	return jobs, nil
}

func (s *Store) Finish(_ context.Context, f store.Finish) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[f.ID]
	if !ok || d.Status != domain.Pending || d.Attempts != f.Attempt {
		return false, nil
	}
	d.Status = f.Status
	d.LastStatusCode = f.Outcome.StatusCode
	d.LastError = f.Outcome.Err
	d.UpdateTime = f.Now
	if f.Status == domain.Pending {
		d.NextAttemptTime = f.NextAttemptTime
	} else {
		d.NextAttemptTime = time.Time{}
		s.dead++
	}
	return true, nil
}

// compact drops finished deliveries from the queue: the ones at its head at once, the
// rest when they are half of it.
func (s *Store) compact() {
	for len(s.pending) > 0 && s.pending[0].Status != domain.Pending {
		delete(s.queued, s.pending[0])
		s.pending[0] = nil
		s.pending = s.pending[1:]
		s.dead--
	}
	if s.dead > 64 && s.dead > len(s.pending)/2 {
		s.pending = slices.DeleteFunc(s.pending, func(d *domain.Delivery) bool {
			if d.Status == domain.Pending {
				return false
			}
			delete(s.queued, d)
			return true
		})
		s.dead = 0
	}
}

func (s *Store) GetDelivery(_ context.Context, webhookID, id string) (domain.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok || d.WebhookID != webhookID {
		return domain.Delivery{}, store.ErrNotFound
	}
	return *d, nil
}

func (s *Store) ListDeliveries(_ context.Context, webhookID string, beforeSeq int64, limit int) ([]domain.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.byWebhook[webhookID]
	out := []domain.Delivery{}
	for i := len(list) - 1; i >= 0 && len(out) < limit; i-- {
		if beforeSeq == 0 || list[i].Seq < beforeSeq {
			out = append(out, *list[i])
		}
	}
	return out, nil
}

func (s *Store) Redeliver(_ context.Context, webhookID, id string, now, retryUntil time.Time) (domain.Delivery, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.deliveries[id]
	if !ok || d.WebhookID != webhookID {
		return domain.Delivery{}, store.ErrNotFound
	}
	switch {
	case !s.queued[d]:
		i, _ := slices.BinarySearchFunc(s.pending, d.Seq, func(p *domain.Delivery, seq int64) int { return cmp.Compare(p.Seq, seq) })
		s.pending = slices.Insert(s.pending, i, d)
		s.queued[d] = true
	case d.Status != domain.Pending:
		s.dead-- // finished but still queued: alive again
	}
	d.Status = domain.Pending
	d.NextAttemptTime = now
	d.RetryUntil = retryUntil
	d.UpdateTime = now
	return *d, nil
}

func (s *Store) NextDue(_ context.Context) (time.Time, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Time
	for _, d := range s.pending {
		if d.Status != domain.Pending {
			continue
		}
		if t.IsZero() || d.NextAttemptTime.Before(t) {
			t = d.NextAttemptTime
		}
	}
	return t, !t.IsZero(), nil
}

func (s *Store) PruneDeliveries(_ context.Context, before time.Time, limit int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var old []*domain.Delivery
	for _, d := range s.deliveries {
		if d.Status != domain.Pending && d.UpdateTime.Before(before) {
			old = append(old, d)
		}
	}
	slices.SortFunc(old, func(a, b *domain.Delivery) int { return cmp.Compare(a.Seq, b.Seq) })
	if len(old) > limit {
		old = old[:limit]
	}
	gone := map[*domain.Delivery]bool{}
	for _, d := range old {
		gone[d] = true
		delete(s.deliveries, d.ID)
	}
	for id, list := range s.byWebhook {
		s.byWebhook[id] = slices.DeleteFunc(list, func(d *domain.Delivery) bool { return gone[d] })
	}
	s.pending = slices.DeleteFunc(s.pending, func(d *domain.Delivery) bool {
		if !gone[d] {
			return false
		}
		s.dead--
		delete(s.queued, d)
		return true
	})
	return len(old), nil
}

func (s *Store) Ping(context.Context) error { return nil }

func (s *Store) Close() {}
