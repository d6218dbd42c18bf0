package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// LockDirectorySerializesTransactions runs concurrent "create the General Manager unless there is one"
// transactions: LockDirectory must make them take turns, so exactly one creates it. The
// lock is held from LockDirectory until the transaction ends, so at most one closure may be
// between its LockDirectory and its return at any time; holders counts them.
func (Cases) LockDirectorySerializesTransactions(t *testing.T, s store.Store) {
	const workers = 8
	ctx := t.Context()
	created := make([]bool, workers)
	var holders atomic.Int32
	var overlapped atomic.Bool
	errs := storetestkit.Parallel(workers, func(i int) error {
		return s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
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

// ConcurrentUpdatesOneWins races transactions that update the same user from the same version:
// exactly one wins, the others get ErrConflict.
func (Cases) ConcurrentUpdatesOneWins(t *testing.T, s store.Store) {
	const workers = 6
	ctx := t.Context()
	u := newUser("u1", "")
	createUsers(t, s, u)

	errs := storetestkit.Parallel(workers, func(i int) error {
		next := u
		next.DisplayName = fmt.Sprintf("writer %d", i)
		next.Version = 2
		return s.InTx(ctx, func(ctx context.Context, tx store.Tx) error { return tx.UpdateUser(ctx, next) })
	})

	won := storetestkit.OneWins(t, errs, store.ErrConflict)
	got := storetestkit.Must(s.GetUser(ctx, "u1"))(t)
	storetestkit.Check(t, "winner's write", got.DisplayName, fmt.Sprintf("writer %d", won))
	storetestkit.Check(t, "version", got.Version, int64(2))
}
