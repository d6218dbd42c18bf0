// Package watch is the kit's in-process push: a [Hub] wakes whoever waits for a change of a
// key (a request id, an outbox sink) when a change of it is published, so that a watcher
// never polls. It carries no data: a woken watcher reads what changed from its store, from
// where it stopped, so a wake-up lost or merged with another loses nothing.
//
// Across processes (replicas sharing one database) the PostgreSQL engines publish into the
// hub what they hear through LISTEN (package pgstore, Listen).
package watch

import "sync"

// Hub maps keys to the watchers waiting for their next change. The zero value is not
// usable: make one with NewHub. Safe for concurrent use.
type Hub struct {
	mu       sync.Mutex
	watchers map[string]map[*Watcher]struct{}
}

// Watcher is one subscription to a key: C receives a value after each publish of the key
// (at most one pending: publishes in between merge).
type Watcher struct {
	C   <-chan struct{}
	c   chan struct{}
	key string
	hub *Hub
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{watchers: map[string]map[*Watcher]struct{}{}} }

// Watch subscribes to key. Subscribe before reading the state, then wait on C: a change
// committed after the read wakes the watcher. Stop ends the subscription.
func (h *Hub) Watch(key string) *Watcher {
	c := make(chan struct{}, 1)
	w := &Watcher{C: c, c: c, key: key, hub: h}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.watchers[key]
	if set == nil {
		set = map[*Watcher]struct{}{}
		h.watchers[key] = set
	}
	set[w] = struct{}{}
	return w
}

// Stop unsubscribes w; it is safe to call more than once.
func (w *Watcher) Stop() {
	h := w.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.watchers[w.key]
	delete(set, w)
	if len(set) == 0 {
		delete(h.watchers, w.key)
	}
}

// Publish wakes every watcher of key. It never blocks. Safe on a nil hub (nothing to wake).
func (h *Hub) Publish(key string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for w := range h.watchers[key] {
		select {
		case w.c <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// PublishAll wakes every watcher of every key (after a gap in what the hub heard, such as a
// listener's reconnection).
func (h *Hub) PublishAll() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.watchers {
		for w := range set {
			select {
			case w.c <- struct{}{}:
			default:
			}
		}
	}
}

// Len is the number of watchers of key (for tests and metrics).
func (h *Hub) Len(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.watchers[key])
}
