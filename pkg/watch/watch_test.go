package watch_test

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/watch"
)

func pending(w *watch.Watcher) bool {
	select {
	case <-w.C:
		return true
	default:
		return false
	}
}

// A publish wakes the key's watchers once (publishes in between merge), no other key's;
// PublishAll wakes all; a stopped watcher is forgotten.
func TestHub(t *testing.T) {
	h := watch.NewHub()
	a1, a2, b := h.Watch("a"), h.Watch("a"), h.Watch("b")
	h.Publish("a")
	h.Publish("a")
	if !pending(a1) || !pending(a2) || pending(b) {
		t.Fatal("publish of a: want a's watchers woken, b not")
	}
	if pending(a1) {
		t.Fatal("two publishes before a read: want one wake-up")
	}
	h.PublishAll()
	if !pending(a1) || !pending(a2) || !pending(b) {
		t.Fatal("PublishAll: want every watcher woken")
	}
	a1.Stop()
	a1.Stop()
	if h.Len("a") != 1 {
		t.Fatalf("after Stop: %d watchers of a, want 1", h.Len("a"))
	}
	a2.Stop()
	b.Stop()
	if h.Len("a")+h.Len("b") != 0 {
		t.Fatal("watchers left after every Stop")
	}
	var nilHub *watch.Hub
	nilHub.Publish("a") // no-op
}
