package outbox

import "context"

// SetCoalescerWait replaces the window's timer of c's rounds (tests step the rounds).
func SetCoalescerWait(c *Coalescer, wait func(ctx context.Context)) { c.wait = wait }

// CoalescerQueued is how many deliveries wait in c's queue.
func CoalescerQueued(c *Coalescer) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}
