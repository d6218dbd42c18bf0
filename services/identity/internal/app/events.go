package app

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/grantflow/grantflow/pkg/events"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

// emit appends one event for audit (and the extra sinks) in tx, with payload as its data.
func (s *Service) emit(ctx context.Context, tx store.Tx, action, subject string, payload proto.Message, extra ...string) error {
	ev := events.New(ctx, ServiceName, action, subject, s.now(), "")
	if err := events.SetPayload(ev, payload); err != nil {
		return err
	}
	if rid, ok := payload.(interface{ GetRequestId() string }); ok {
		ev.RequestId = rid.GetRequestId()
	}
	return tx.Emit(ctx, append([]string{SinkAudit, SinkNotification}, extra...), ev)
}
