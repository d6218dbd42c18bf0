package app

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/pkg/timer"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

// Expiring access: a GRANT_ACCESS or CHANGE_PERMISSION with an access duration sets, in the
// commit that makes it DONE, two timers keyed by the access (user and app): the notice
// (access.expiring, ExpiryNotice before the expiry, or at once when the access is shorter
// than that) and the expiry. A later grant or change of the same access replaces both
// (same keys), or cancels them when it has no duration; a removal cancels them.
const (
	// KindExpiryNotice fires ExpiryNotice before an access expires: access.expiring.
	KindExpiryNotice = "access.expiring"
	// KindExpiry fires at the expiry: it queues the REMOVE_ACCESS request (work item
	// request.work.expire) in the transaction that removes the timer.
	KindExpiry = "access.expiry"
	// ExpiryNotice is how long before the expiry the holder is told.
	ExpiryNotice = 72 * time.Hour

	workExpire = "request.work.expire"
	// ExpiryRequester is the requester of the requests expiry opens: not a person (nobody
	// may cancel them but Admin and GM) and not the system agent, which carries out their
	// action step when the policy says so (nobody decides their own request).
	ExpiryRequester = "expiry"
)

func expiryKey(kind, userID, appID string) string { return kind + ":" + userID + ":" + appID }

// expiryTimers sets or cancels, in tx, the timers of the access the DONE request r
// granted, changed or removed.
func expiryTimers(ctx context.Context, tx store.Tx, r domain.Request) error {
	if !r.Type.AboutUser() {
		return nil
	}
	notice, expiry := expiryKey(KindExpiryNotice, r.TargetUserID, r.AppID), expiryKey(KindExpiry, r.TargetUserID, r.AppID)
	if r.Type == domain.RemoveAccess || r.ExpireTime.IsZero() {
		if err := tx.Cancel(ctx, notice); err != nil {
			return err
		}
		return tx.Cancel(ctx, expiry)
	}
	payload, err := proto.Marshal(&eventsv1.AccessChanged{UserId: r.TargetUserID, AppId: r.AppID, Permission: r.Permission,
		RequestId: r.ID, ExpireTime: timestamppb.New(r.ExpireTime)})
	if err != nil {
		return err
	}
	noticeAt := r.ExpireTime.Add(-ExpiryNotice)
	if noticeAt.Before(r.UpdateTime) {
		noticeAt = r.UpdateTime // shorter than the notice: tell the holder at once
	}
	if err := tx.Schedule(ctx, timer.Timer{Key: notice, Kind: KindExpiryNotice, FireAt: noticeAt, Payload: payload}); err != nil {
		return err
	}
	return tx.Schedule(ctx, timer.Timer{Key: expiry, Kind: KindExpiry, FireAt: r.ExpireTime, Payload: payload})
}

// HandleTimers registers the request service's timer handlers on r.
func (s *Service) HandleTimers(r *timer.Runner[store.Tx]) {
	r.Handle(KindExpiryNotice, s.fireExpiryNotice)
	r.Handle(KindExpiry, s.fireExpiry)
}

func accessOf(tm timer.Timer) (*eventsv1.AccessChanged, error) {
	a := &eventsv1.AccessChanged{}
	if err := proto.Unmarshal(tm.Payload, a); err != nil {
		return nil, fmt.Errorf("timer %s: payload: %w", tm.Key, err)
	}
	return a, nil
}

// fireExpiryNotice tells the holder that the access expires (access.expiring, to audit and
// notification), in the transaction that removes the timer.
func (s *Service) fireExpiryNotice(ctx context.Context, tx store.Tx, tm timer.Timer) error {
	a, err := accessOf(tm)
	if err != nil {
		return err
	}
	ev := events.New(ctx, ServiceName, "access.expiring", "users/"+a.GetUserId(), s.now(), auth.SystemUserID)
	ev.RequestId = a.GetRequestId()
	ev.Payload = &eventsv1.Event_AccessChanged{AccessChanged: a}
	return tx.Emit(ctx, []string{SinkAudit, SinkNotification}, ev)
}

// fireExpiry queues the REMOVE_ACCESS request of an expired access, in the transaction that
// removes the timer: the work item opens it (idempotent on an id made from the timer), so
// the request opens once, after a crash too.
func (s *Service) fireExpiry(ctx context.Context, tx store.Tx, tm timer.Timer) error {
	a, err := accessOf(tm)
	if err != nil {
		return err
	}
	ev := events.New(ctx, ServiceName, workExpire, "users/"+a.GetUserId(), s.now(), auth.SystemUserID)
	ev.Id = uuid.NewSHA1(expiryNamespace, fmt.Appendf(nil, "%s/%s", tm.Key, a.GetExpireTime().AsTime().Format(time.RFC3339Nano))).String()
	ev.RequestId = a.GetRequestId()
	ev.Payload = &eventsv1.Event_AccessChanged{AccessChanged: a}
	return tx.Emit(ctx, []string{SinkWork}, ev)
}

var expiryNamespace = uuid.MustParse("0d1c7a52-5b0f-4b8e-9f6c-8f3e2a61c4d7")

// openExpiry opens the REMOVE_ACCESS request with origin {expiry: true} that the work item
// ev asks for. Its client id is the work item's id, so a redelivery finds the same request.
// An access that is gone already (removed meanwhile) has nothing to remove.
func (s *Service) openExpiry(ctx context.Context, ev *eventsv1.Event) error {
	a := ev.GetAccessChanged()
	r, open, err := s.submit(ctx, ExpiryRequester, nil, Submission{
		ClientID: ev.GetId(), Type: domain.RemoveAccess, TargetUserID: a.GetUserId(), AppID: a.GetAppId(),
		Reason: "access expired at " + a.GetExpireTime().AsTime().UTC().Format(time.RFC3339), expiry: true,
	})
	switch {
	case err == nil:
	case transient(err):
		return err
	default:
		s.log.WarnContext(ctx, "request: expiry removal not opened", "user", a.GetUserId(), "app", a.GetAppId(), "error", err.Error())
		return nil
	}
	_, err = s.settle(ctx, r, open)
	return err
}
