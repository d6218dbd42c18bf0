package outbox

import "context"

// SetCoalescerWait replaces the window's timer of c's rounds (tests step the rounds).
func SetCoalescerWait(c *Coalescer, wait func(ctx context.Context)) { c.wait = wait }

// AwaitCoalescerQueue waits until cond holds of how many deliveries wait in c's queue,
// looking again each time the queue changes. It reports false when ctx ends first.
func AwaitCoalescerQueue(ctx context.Context, c *Coalescer, cond func(queued int) bool) bool {
	for {
		c.mu.Lock()
		n, changed := len(c.queue), c.queued
		c.mu.Unlock()
		if cond(n) {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		}
	}
}
