package app

import (
	"context"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// SettingsPatch names the channels to change; nil leaves one as it is.
type SettingsPatch struct {
	Email, Slack *bool
}

// Settings returns the caller's own settings (the stored ones; a channel never set is nil).
func (s *Service) Settings(ctx context.Context) (domain.Settings, error) {
	p, _, err := auth.Caller(ctx)
	if err != nil {
		return domain.Settings{}, err
	}
	got, err := s.store.Settings(ctx, []string{p.UserID})
	if err != nil {
		return domain.Settings{}, err
	}
	v, ok := got[p.UserID]
	if !ok {
		v = domain.Settings{UserID: p.UserID}
	}
	return v, nil
}

// UpdateSettings changes the caller's own settings.
func (s *Service) UpdateSettings(ctx context.Context, patch SettingsPatch) (domain.Settings, error) {
	p, _, err := auth.Caller(ctx)
	if err != nil {
		return domain.Settings{}, err
	}
	if patch.Email == nil && patch.Slack == nil {
		return domain.Settings{}, errs.Invalid("settings", "name email or slack to change")
	}
	now := s.clock()
	return s.store.UpdateSettings(ctx, p.UserID, func(v *domain.Settings) error {
		if patch.Email != nil {
			b := *patch.Email
			v.Email = &b
		}
		if patch.Slack != nil {
			b := *patch.Slack
			v.Slack = &b
		}
		v.UpdateTime = now
		return nil
	})
}

// ListMessages returns a page of the messages sent, newest first: the caller's own; Admin
// and GM anyone's (userID), or everyone's (no userID). Anyone else naming another person
// is refused (403), as the task inbox refuses.
func (s *Service) ListMessages(ctx context.Context, userID string, size int32, token string) ([]domain.Message, string, error) {
	p, sub, err := auth.Caller(ctx)
	if err != nil {
		return nil, "", err
	}
	all := sub.Active && (sub.Role == authz.RoleAdmin || sub.Role == authz.RoleGeneralManager)
	switch {
	case all:
	case userID == "":
		userID = p.UserID
	case userID != p.UserID:
		return nil, "", errs.PermissionDenied("only Admin and GM see others' notifications")
	}
	list := "notifications/" + userID // a token of one log is refused by another
	before, n, err := page(list, token, size)
	if err != nil {
		return nil, "", err
	}
	ms, err := s.store.ListMessages(ctx, userID, before, n+1)
	if err != nil {
		return nil, "", err
	}
	ms, next := paging.Trim(ms, n, list, func(m domain.Message) []string { return bySeq(m.Seq) })
	return ms, next, nil
}
