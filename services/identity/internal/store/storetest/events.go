package storetest

import (
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/identity/internal/store"
)

func newEvent(id string) *eventsv1.Event {
	return &eventsv1.Event{Id: id, Service: "grantflow-identity", Action: "user.updated", Subject: "users/" + id,
		Payload: &eventsv1.Event_UserChanged{UserChanged: &eventsv1.UserChanged{UserId: id}}}
}

func (Cases) EventsPendingOnlyAfterCommitInOrder(t *testing.T, s store.Store) {
	storetestkit.Outbox(t, s, newEvent)
}
