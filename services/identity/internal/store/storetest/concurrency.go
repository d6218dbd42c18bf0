package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// testLockDirectory runs concurrent "create the General Manager unless there is one"
// transactions: LockDirectory must make them take turns, so exactly one creates it. The
// lock is held from LockDirectory until the transaction ends, so at most one closure may be
// between its LockDirectory and its return at any time; holders counts them.
func testLockDirectory(t *testing.T, s store.Store) {
	const workers = 8
	ctx := t.Context()
	start := make(chan struct{})
	errs := make([]error, workers)
	created := make([]bool, workers)
	var holders atomic.Int32
	var overlapped atomic.Bool
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
				created[i] = false // the closure may run again after a retry
				if err := tx.LockDirectory(ctx); err != nil {
					return err
				}
				if holders.Add(1) > 1 {
					overlapped.Store(true)
				}
				defer holders.Add(-1)
				gms, err := tx.ListUsers(ctx, store.UserFilter{Role: domain.RoleGeneralManager, ActiveOnly: true}, store.Page{Size: 1})
				if err != nil || len(gms) > 0 {
					return err
				}
				gm := newUser(fmt.Sprintf("gm%d", i), "")
				gm.Role = domain.RoleGeneralManager
				created[i] = true
				return tx.CreateUser(ctx, gm)
			})
		})
	}
	close(start)
	wg.Wait()

	if err := errors.Join(errs...); err != nil {
		t.Fatalf("InTx: %v", err)
	}
	if overlapped.Load() {
		t.Error("two transactions held the directory lock at once")
	}
	gms := storetestkit.Must(s.ListUsers(ctx, store.UserFilter{Role: domain.RoleGeneralManager}, store.Page{}))(t)
	if len(gms) != 1 {
		t.Fatalf("General Managers = %v, want exactly one", userIDs(gms))
	}
	n := 0
	for _, c := range created {
		if c {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d transactions created a General Manager, want 1", n)
	}
}

// testConcurrentUpdates races transactions that update the same user from the same version:
// exactly one wins, the others get ErrConflict.
func testConcurrentUpdates(t *testing.T, s store.Store) {
	const workers = 6
	ctx := t.Context()
	u := newUser("u1", "")
	createUsers(t, s, u)

	start := make(chan struct{})
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			next := u
			next.DisplayName = fmt.Sprintf("writer %d", i)
			next.Version = 2
			errs[i] = s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, next) })
		})
	}
	close(start)
	wg.Wait()

	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("writers %d and %d both updated version 1", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("writer %d: err = %v, want nil or ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer won")
	}
	got := storetestkit.Must(s.GetUser(ctx, "u1"))(t)
	storetestkit.Check(t, "winner's write", got.DisplayName, fmt.Sprintf("writer %d", won))
	storetestkit.Check(t, "version", got.Version, int64(2))
}
