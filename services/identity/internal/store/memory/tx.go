package memory

import (
	"bytes"
	"context"
	"strings"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// tx writes straight into the state and logs how to undo each write (memstore.Put, Delete,
// Remember).
type tx struct {
	*state
	*memstore.Tx
}

func (t *tx) LockDirectory(context.Context) error { return nil } // the write lock is held

func (t *tx) CreateUser(_ context.Context, u domain.User) error {
	return memstore.InsertIndexed(t.Tx, t.users, u.ID, u, t.emails, strings.ToLower(u.Email))
}

func (t *tx) UpdateUser(_ context.Context, u domain.User) error {
	old, ok := t.users[u.ID]
	if err := memstore.CheckUpdate(ok, old.Version, u.Version, store.ErrNotFound, store.ErrConflict); err != nil {
		return err
	}
	oldEmail, newEmail := strings.ToLower(old.Email), strings.ToLower(u.Email)
	if oldEmail != newEmail {
		if _, dup := t.emails[newEmail]; dup {
			return store.ErrConflict
		}
		memstore.Delete(t.Tx, t.emails, oldEmail)
		memstore.Put(t.Tx, t.emails, newEmail, u.ID)
	}
	memstore.Put(t.Tx, t.users, u.ID, u)
	return nil
}

func (t *tx) CreateGroup(_ context.Context, g domain.Group) error {
	return memstore.Insert(t.Tx, t.groups, g.ID, cloneGroup(g))
}

func (t *tx) UpdateGroup(_ context.Context, g domain.Group) error {
	old, ok := t.groups[g.ID]
	if err := memstore.CheckUpdate(ok, old.Version, g.Version, store.ErrNotFound, store.ErrConflict); err != nil {
		return err
	}
	memstore.Put(t.Tx, t.groups, g.ID, cloneGroup(g))
	return nil
}

func (t *tx) DeleteGroup(_ context.Context, id string) error {
	if _, ok := t.groups[id]; !ok {
		return store.ErrNotFound
	}
	memstore.Delete(t.Tx, t.groups, id)
	return nil
}

func (t *tx) CreateApp(_ context.Context, a domain.App) error {
	return memstore.InsertIndexed(t.Tx, t.apps, a.ID, cloneApp(a), t.appNames, strings.ToLower(a.Name))
}

func (t *tx) UpdateApp(_ context.Context, a domain.App) error {
	old, ok := t.apps[a.ID]
	if err := memstore.CheckUpdate(ok, old.Version, a.Version, store.ErrNotFound, store.ErrConflict); err != nil {
		return err
	}
	oldName, newName := strings.ToLower(old.Name), strings.ToLower(a.Name)
	if oldName != newName {
		if _, dup := t.appNames[newName]; dup {
			return store.ErrConflict
		}
		memstore.Delete(t.Tx, t.appNames, oldName)
		memstore.Put(t.Tx, t.appNames, newName, a.ID)
	}
	memstore.Put(t.Tx, t.apps, a.ID, cloneApp(a))
	return nil
}

func (t *tx) PutAccess(_ context.Context, a domain.Access) error {
	k := accessKey{a.UserID, a.AppID}
	memstore.Put(t.Tx, t.accesses, k, a)
	return nil
}

func (t *tx) DeleteAccess(_ context.Context, userID, appID string) error {
	k := accessKey{userID, appID}
	if _, ok := t.accesses[k]; !ok {
		return store.ErrNotFound
	}
	memstore.Delete(t.Tx, t.accesses, k)
	return nil
}

func (t *tx) CreateAPIKey(_ context.Context, k domain.APIKey) error {
	k.Hash = bytes.Clone(k.Hash)
	return memstore.InsertIndexed(t.Tx, t.keys, k.ID, k, t.keyHash, string(k.Hash))
}

func (t *tx) RevokeAPIKey(_ context.Context, id string, k domain.APIKey) error {
	if _, ok := t.keys[id]; !ok {
		return store.ErrNotFound
	}
	k.Hash = bytes.Clone(k.Hash)
	memstore.Put(t.Tx, t.keys, id, k)
	return nil
}

func (t *tx) RecordApplied(_ context.Context, requestID, result string) error {
	return memstore.Insert(t.Tx, t.applied, requestID, result)
}

func (t *tx) RecordDelegation(_ context.Context, d domain.Delegation) error {
	key := d.Set + "\x00" + d.UserID + "\x00" + d.ByUserID
	if _, ok := t.delegations[key]; ok {
		return nil
	}
	memstore.Put(t.Tx, t.delegations, key, d)
	return nil
}
