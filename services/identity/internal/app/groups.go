package app

import (
	"context"
	"strings"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/appkit"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/etag"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/identity/internal/domain"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// GroupPatch changes the fields that are set.
type GroupPatch struct {
	Name        *string
	Description *string
	MemberIDs   *[]string
	Etag        string
}

// CreateGroup (Admin, GM).
func (s *Service) CreateGroup(ctx context.Context, name, description string, members []string) (domain.Group, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return domain.Group{}, err
	}
	if err := deny(authz.CanManageGroups(sub)); err != nil {
		return domain.Group{}, err
	}
	now := s.now()
	g := domain.Group{ID: newID(), Name: strings.TrimSpace(name), Description: description, MemberIDs: members, CreateTime: now, UpdateTime: now, Version: 1}
	if g.Name == "" {
		return domain.Group{}, errs.Invalid("name", "required")
	}
	err = s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		if err := usersExist(ctx, tx, "member_ids", g.MemberIDs); err != nil {
			return err
		}
		if err := tx.CreateGroup(ctx, g); err != nil {
			return err
		}
		if err := recordAdded(ctx, tx, "group:"+g.ID, nil, g.MemberIDs, sub.UserID); err != nil {
			return err
		}
		return s.emit(ctx, tx, "group.created", "groups/"+g.ID, &eventsv1.GroupChanged{GroupId: g.ID, Name: g.Name, Description: g.Description, MemberIds: g.MemberIDs})
	})
	return g, err
}

// GetGroup: anyone authenticated reads groups.
func (s *Service) GetGroup(ctx context.Context, id string) (domain.Group, error) {
	if _, _, err := s.caller(ctx); err != nil {
		return domain.Group{}, err
	}
	g, err := s.store.GetGroup(ctx, id)
	return g, appkit.NotFound(err, "group", id)
}

// ListGroups: anyone authenticated.
func (s *Service) ListGroups(ctx context.Context, size int32, token string) ([]domain.Group, string, error) {
	if _, _, err := s.caller(ctx); err != nil {
		return nil, "", err
	}
	return paging.List("groups", token, 1, size, func(after []string, n int) ([]domain.Group, error) {
		return s.store.ListGroups(ctx, store.Page{Size: n, After: after[0]})
	}, func(g domain.Group) []string { return []string{g.ID} })
}

// UpdateGroup (Admin, GM).
func (s *Service) UpdateGroup(ctx context.Context, id string, p GroupPatch) (domain.Group, error) {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return domain.Group{}, err
	}
	if err := deny(authz.CanManageGroups(sub)); err != nil {
		return domain.Group{}, err
	}
	var out domain.Group
	err = s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		g, err := tx.GetGroup(ctx, id)
		if err != nil {
			return appkit.NotFound(err, "group", id)
		}
		if err := etag.Check(p.Etag, g.Version, "the group"); err != nil {
			return err
		}
		if p.Name != nil {
			if g.Name = strings.TrimSpace(*p.Name); g.Name == "" {
				return errs.Invalid("group.name", "required")
			}
		}
		if p.Description != nil {
			g.Description = *p.Description
		}
		if p.MemberIDs != nil {
			if err := usersExist(ctx, tx, "group.member_ids", *p.MemberIDs); err != nil {
				return err
			}
			if err := recordAdded(ctx, tx, "group:"+g.ID, g.MemberIDs, *p.MemberIDs, sub.UserID); err != nil {
				return err
			}
			g.MemberIDs = *p.MemberIDs
		}
		g.Version++
		g.UpdateTime = s.now()
		if err := tx.UpdateGroup(ctx, g); err != nil {
			return err
		}
		out = g
		return s.emit(ctx, tx, "group.updated", "groups/"+g.ID, &eventsv1.GroupChanged{GroupId: g.ID, Name: g.Name, Description: g.Description, MemberIds: g.MemberIDs})
	})
	return out, err
}

// DeleteGroup (Admin, GM). Policies that name the group resolve it as empty, which falls
// back to the admins.
func (s *Service) DeleteGroup(ctx context.Context, id string) error {
	_, sub, err := s.caller(ctx)
	if err != nil {
		return err
	}
	if err := deny(authz.CanManageGroups(sub)); err != nil {
		return err
	}
	return s.write(ctx, false, func(ctx context.Context, tx store.Tx) error {
		if err := tx.DeleteGroup(ctx, id); err != nil {
			return appkit.NotFound(err, "group", id)
		}
		return s.emit(ctx, tx, "group.deleted", "groups/"+id, &eventsv1.GroupChanged{GroupId: id})
	})
}

// usersExist reports the first unknown user id as a bad field.
func usersExist(ctx context.Context, r store.Reader, field string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	found, err := r.GetUsers(ctx, ids)
	if err != nil {
		return err
	}
	have := make(map[string]bool, len(found))
	for _, u := range found {
		have[u.ID] = true
	}
	for _, id := range ids {
		if !have[id] {
			return errs.Invalid(field, "no user "+id)
		}
	}
	return nil
}
