package storetest

import (
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// newUser returns an active user reporting to managerID, with an email derived from id.
func newUser(id, managerID string) domain.User {
	return domain.User{
		ID:          id,
		Email:       id + "@example.com",
		DisplayName: "User " + id,
		Role:        domain.RoleUser,
		ManagerID:   managerID,
		Status:      domain.UserActive,
		CreateTime:  storetestkit.At(1),
		UpdateTime:  storetestkit.At(1),
		Version:     1,
	}
}

func newGroup(id string, members ...string) domain.Group {
	return domain.Group{
		ID: id, Name: "Group " + id, Description: "about " + id, MemberIDs: members,
		CreateTime: storetestkit.At(2), UpdateTime: storetestkit.At(2), Version: 1,
	}
}

func newApp(id string, owners ...string) domain.App {
	return domain.App{
		ID: id, Name: "App " + id, OwnerIDs: owners,
		Permissions: []domain.Permission{{Name: "read"}, {Name: "admin", Privileged: true}},
		Status:      domain.AppActive,
		CreateTime:  storetestkit.At(3), UpdateTime: storetestkit.At(3), Version: 1,
	}
}

func newAccess(userID, appID, permission string) domain.Access {
	return domain.Access{UserID: userID, AppID: appID, Permission: permission, GrantTime: storetestkit.At(4), RequestID: "req-" + userID + "-" + appID}
}

func newKey(id, userID string) domain.APIKey {
	return domain.APIKey{ID: id, UserID: userID, DisplayName: "key " + id, Hash: []byte("hash:" + id), CreateTime: storetestkit.At(5), CreatedBy: "minter-of-" + id}
}

// The writers of the fixtures, each in one transaction.
var (
	createUsers  = storetestkit.Putter(store.Tx.CreateUser)
	createGroups = storetestkit.Putter(store.Tx.CreateGroup)
	createApps   = storetestkit.Putter(store.Tx.CreateApp)
	putAccesses  = storetestkit.Putter(store.Tx.PutAccess)
	createKeys   = storetestkit.Putter(store.Tx.CreateAPIKey)
)

func userIDs(users []domain.User) []string {
	return storetestkit.IDs(users, func(u domain.User) string { return u.ID })
}

func groupIDs(groups []domain.Group) []string {
	return storetestkit.IDs(groups, func(g domain.Group) string { return g.ID })
}

func appIDs(apps []domain.App) []string {
	return storetestkit.IDs(apps, func(a domain.App) string { return a.ID })
}

// accessKeys names accesses as "user/app".
func accessKeys(accesses []domain.Access) []string {
	return storetestkit.IDs(accesses, func(a domain.Access) string { return a.UserID + "/" + a.AppID })
}
