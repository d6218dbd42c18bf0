package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"google.golang.org/grpc"
)

// Cleanups is a last-in first-out list of stop functions.
type Cleanups struct {
	mu    sync.Mutex
	steps []step
}

type step struct {
	name string
	fn   func(context.Context) error
}

// Add registers fn, to run before everything added earlier.
func (c *Cleanups) Add(name string, fn func(context.Context) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.steps = append(c.steps, step{name, fn})
}

// AddFunc registers a stop function that cannot fail.
func (c *Cleanups) AddFunc(name string, fn func()) {
	c.Add(name, func(context.Context) error { fn(); return nil })
}

// Shutdown runs every stop function, newest first, within timeout, and returns all errors.
func (c *Cleanups) Shutdown(timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c.mu.Lock()
	steps := c.steps
	c.steps = nil
	c.mu.Unlock()
	var all []error
	for i := len(steps) - 1; i >= 0; i-- {
		s := steps[i]
		if err := s.fn(ctx); err != nil {
			all = append(all, fmt.Errorf("%s: %w", s.name, err))
			if log != nil {
				log.Error("shutdown step failed", "step", s.name, "error", err.Error())
			}
		}
	}
	return errors.Join(all...)
}

// StopGRPC stops a server gracefully, and forcefully if ctx ends first.
func StopGRPC(s *grpc.Server) func(context.Context) error {
	return func(ctx context.Context) error {
		done := make(chan struct{})
		go func() { s.GracefulStop(); close(done) }()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			s.Stop()
			<-done
			return errors.New("graceful stop timed out; stopped")
		}
	}
}
