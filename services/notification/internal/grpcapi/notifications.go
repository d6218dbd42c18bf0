package grpcapi

import (
	"context"

	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/pbconv"
	"github.com/grantflow/grantflow/services/notification/internal/app"
	"github.com/grantflow/grantflow/services/notification/internal/domain"
)

// Notifications implements grantflow.notification.v1.NotificationService.
type Notifications struct {
	notificationv1.UnimplementedNotificationServiceServer
	App *app.Service
}

func (h *Notifications) GetNotificationSettings(ctx context.Context, _ *notificationv1.GetNotificationSettingsRequest) (*notificationv1.NotificationSettings, error) {
	return pbconv.Reply(h.settingsPB)(h.App.Settings(ctx))
}

func (h *Notifications) UpdateNotificationSettings(ctx context.Context, r *notificationv1.UpdateNotificationSettingsRequest) (*notificationv1.NotificationSettings, error) {
	in := r.GetSettings()
	var p app.SettingsPatch
	paths := r.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		p.Email, p.Slack = in.Email, in.Slack // the fields present
	}
	for _, path := range paths {
		switch path {
		case "email":
			p.Email = new(in.GetEmail())
		case "slack":
			p.Slack = new(in.GetSlack())
		default:
			return nil, errs.Invalid("update_mask", "cannot update "+path+"; updatable: email, slack")
		}
	}
	return pbconv.Reply(h.settingsPB)(h.App.UpdateSettings(ctx, p))
}

// settingsPB is the settings as they apply: a channel the person set shows their choice,
// one never set its default (on when the deployment has the channel configured).
func (h *Notifications) settingsPB(v domain.Settings) *notificationv1.NotificationSettings {
	email, slack := h.App.Configured(domain.Email), h.App.Configured(domain.Slack)
	choice := func(set *bool, configured bool) *bool {
		if set != nil {
			return new(*set)
		}
		return new(configured)
	}
	return &notificationv1.NotificationSettings{
		UserId: v.UserID, Email: choice(v.Email, email), Slack: choice(v.Slack, slack),
		EmailConfigured: email, SlackConfigured: slack, UpdateTime: pbconv.Time(v.UpdateTime),
	}
}

func (h *Notifications) ListNotifications(ctx context.Context, r *notificationv1.ListNotificationsRequest) (*notificationv1.ListNotificationsResponse, error) {
	ms, next, err := h.App.ListMessages(ctx, r.GetUserId(), r.GetPageSize(), r.GetPageToken())
	return pbconv.Page(&notificationv1.ListNotificationsResponse{Notifications: pbconv.Map(ms, NotificationPB), NextPageToken: next}, err)
}
