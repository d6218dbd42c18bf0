package appkit

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/storekit"
)

// Defaults are an application layer's logger, wake-up of its relays and clock, each as
// given or, when nil, slog.Default(), nothing, and the system's time in UTC to the
// microsecond (as the stores keep it).
func Defaults(log *slog.Logger, notify func(), now func() time.Time) (*slog.Logger, func(), func() time.Time) {
	if log == nil {
		log = slog.Default()
	}
	if notify == nil {
		notify = func() {}
	}
	if now == nil {
		now = func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
	}
	return log, notify, now
}

// Write runs fn in one transaction (inTx, a store's InTx), then wakes the relays: the
// transaction may have written events to the outbox.
func Write[Tx any](ctx context.Context, inTx func(context.Context, func(context.Context, Tx) error) error, notify func(), fn func(context.Context, Tx) error) error {
	if err := inTx(ctx, fn); err != nil {
		return err
	}
	notify()
	return nil
}

// Internal refuses a caller that is not another Grantflow service. The server's
// InternalOnly already does; this keeps an application layer safe on its own.
func Internal(ctx context.Context) (auth.Principal, error) {
	return internal(ctx, "this call is internal to Grantflow")
}

// Deliverer refuses a delivery of events by anyone but another Grantflow service (an
// EventSinkService receiver's first check).
func Deliverer(ctx context.Context) error {
	_, err := internal(ctx, "only Grantflow services deliver events")
	return err
}

func internal(ctx context.Context, denied string) (auth.Principal, error) {
	p, ok := auth.FromContext(ctx)
	switch {
	case !ok:
		return p, errs.Unauthenticated("no caller")
	case !p.Internal:
		return p, errs.PermissionDenied(denied)
	}
	return p, nil
}

// AdminOrGM reports whether sub is an active Admin or General Manager.
func AdminOrGM(sub authz.Subject) bool {
	return sub.Active && (sub.Role == authz.RoleAdmin || sub.Role == authz.RoleGeneralManager)
}

// Deny is PERMISSION_DENIED with the rule's reason when d refuses, else nil.
func Deny(d authz.Decision) error {
	if d.Allowed {
		return nil
	}
	return errs.PermissionDenied("not allowed: " + d.Reason)
}

// NotFound is NOT_FOUND naming kind and id when err is a store's ErrNotFound (every store
// answers storekit.ErrNotFound), and any other err (nil too) as it is.
func NotFound(err error, kind, id string) error {
	if errors.Is(err, storekit.ErrNotFound) {
		return errs.NotFound(kind, id)
	}
	return err
}

// Visible is how an application layer hands out what it read of kind id: to a caller who
// may see it (see), as it is; to anyone else NOT_FOUND, as for one that does not exist. A
// read's error goes through NotFound.
//
//	r, err := appkit.Visible("request", id, mayView)(s.store.GetRequest(ctx, id))
func Visible[T any](kind, id string, see func(T) bool) func(T, error) (T, error) {
	return func(v T, err error) (T, error) {
		var none T
		if err != nil {
			return none, NotFound(err, kind, id)
		}
		if !see(v) {
			return none, errs.NotFound(kind, id)
		}
		return v, nil
	}
}

// NewID is a new identifier: a UUIDv7 (ordered by time).
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
