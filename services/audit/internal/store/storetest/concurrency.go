package storetest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// LockHeadSerializesAppends: a second appender that asks for the lock while the first holds it
// waits, then sees the first one's batch as its head.
func (Cases) LockHeadSerializesAppends(t *testing.T, s store.Store) {
	ctx := t.Context()
	locked, release := make(chan struct{}), make(chan struct{})
	errs := make(chan error, 2)
	go func() {
		errs <- s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			head, err := tx.LockHead(ctx)
			if err != nil {
				return err
			}
			close(locked)
			<-release
			return tx.Insert(ctx, seal(head, ev("first")))
		})
	}()
	<-locked
	second := make(chan store.Head, 1)
	go func() {
		errs <- s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
			head, err := tx.LockHead(ctx)
			if err != nil {
				return err
			}
			second <- head
			return tx.Insert(ctx, seal(head, ev("second")))
		})
	}()
	select {
	case h := <-second:
		t.Fatalf("the second appender got the lock while the first held it (head %+v)", h)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if h := <-second; h.Seq != 1 {
		t.Fatalf("the second appender saw head %d, want the first one's event", h.Seq)
	}
	storetestkit.Exact(t, "events", ids(all(t, s)), []string{"first", "second"})
}

// ConcurrentAppendsBuildOneChain: many appenders at once still make one gapless, verifiable chain,
// with each batch's events kept together and in order.
func (Cases) ConcurrentAppendsBuildOneChain(t *testing.T, s store.Store) {
	const writers, batches, size = 6, 8, 5
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				var batch []domain.Event
				for i := range size {
					batch = append(batch, ev(fmt.Sprintf("w%d-b%d-%d", w, b, i)))
				}
				err := s.InTx(t.Context(), func(ctx context.Context, tx store.Tx) error {
					head, err := tx.LockHead(ctx)
					if err != nil {
						return err
					}
					return tx.Insert(ctx, seal(head, batch...))
				})
				if err != nil {
					t.Errorf("writer %d batch %d: %v", w, b, err)
					return
				}
			}
		})
	}
	wg.Wait()
	events := all(t, s)
	if len(events) != writers*batches*size {
		t.Fatalf("%d events, want %d", len(events), writers*batches*size)
	}
	for i := 0; i < len(events); i += size {
		for j := 1; j < size; j++ {
			if want := fmt.Sprintf("%s%d", events[i].ID[:len(events[i].ID)-1], j); events[i+j].ID != want {
				t.Fatalf("batch split: event %d is %s, want %s", i+j+1, events[i+j].ID, want)
			}
		}
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	r, err := domain.VerifySource(t.Context(), s, pub, false)
	if err != nil || !r.OK || r.VerifiedThrough != int64(len(events)) {
		t.Fatalf("verify: %+v %v", r, err)
	}
}
