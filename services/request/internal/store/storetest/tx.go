package storetest

import (
	"context"
	"errors"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

func (Cases) TxReadsItsOwnWrites(t *testing.T, s store.Store) {
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		r := grant("r-1", "u-1", "u-1", "app")
		r.ClientID = "client-1"
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		got, err := tx.GetRequest(ctx, "r-1")
		if err != nil {
			return err
		}
		storetestkit.Check(t, "get in tx", got, r)
		if got, err = tx.GetRequestByClientID(ctx, "client-1"); err != nil {
			return err
		}
		storetestkit.Check(t, "by client id in tx", got, r)
		storetestkit.Check(t, "list in tx", list(t, tx, store.Filter{}, store.Page{}), []string{"r-1"})
		storetestkit.Check(t, "viewer list in tx", list(t, tx, store.Filter{ViewerID: "u-1"}, store.Page{Size: 10}), []string{"r-1"})
		locked, err := tx.LockRequest(ctx, "r-1")
		if err != nil {
			return err
		}
		locked.AddAssignees("u-9")
		locked.Status, locked.Version = domain.Done, 2
		if err := tx.UpdateRequest(ctx, locked); err != nil {
			return err
		}
		if got, err = tx.GetRequest(ctx, "r-1"); err != nil {
			return err
		}
		storetestkit.Check(t, "get after update in tx", got, locked)
		storetestkit.Check(t, "new viewer in tx", list(t, tx, store.Filter{ViewerID: "u-9"}, store.Page{}), []string{"r-1"})
		storetestkit.Check(t, "status in tx", list(t, tx, store.Filter{Status: domain.Done}, store.Page{}), []string{"r-1"})
		return nil
	})
}

var errBoom = errors.New("boom")

// seedForRollback writes r-0, the request fullChange updates.
func seedForRollback(t *testing.T, s store.Store) domain.Request {
	r := grant("r-0", "u-0", "u-0", "app")
	r.ClientID = "client-0"
	create(t, s, r)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		return tx.Emit(ctx, []string{"audit"}, &eventsv1.Event{Id: "ev-0", Service: "grantflow-request", Action: "request.submitted", Subject: "requests/r-0"})
	})
	return r
}

// fullChange writes one of everything: a new request, an update of r-0 that adds a viewer,
// a processed mark and an event.
func fullChange(ctx context.Context, tx store.Tx) error {
	r := grant("r-x", "u-x", "u-x", "app")
	r.ClientID = "client-x"
	if err := tx.CreateRequest(ctx, r); err != nil {
		return err
	}
	old, err := tx.LockRequest(ctx, "r-0")
	if err != nil {
		return err
	}
	old.AddAssignees("late")
	old.Status, old.Version = domain.Done, old.Version+1
	if err := tx.UpdateRequest(ctx, old); err != nil {
		return err
	}
	isNew, err := tx.MarkProcessed(ctx, "ev-in")
	if err != nil {
		return err
	}
	if !isNew {
		return errors.New("ev-in was marked processed by a transaction that failed")
	}
	return tx.Emit(ctx, []string{"audit", "task"}, &eventsv1.Event{Id: "ev-x", Service: "grantflow-request", Action: "request.submitted", Subject: "requests/r-x"})
}

func assertNothing(t *testing.T, s store.Store, orig domain.Request) {
	t.Helper()
	ctx := t.Context()
	_, err := s.GetRequest(ctx, "r-x")
	storetestkit.WantErr(t, "created request", err, store.ErrNotFound)
	_, err = s.GetRequestByClientID(ctx, "client-x")
	storetestkit.WantErr(t, "its client id", err, store.ErrNotFound)
	storetestkit.Check(t, "updated request", storetestkit.Must(s.GetRequest(ctx, "r-0"))(t), orig)
	storetestkit.Check(t, "requests", list(t, s, store.Filter{}, store.Page{}), []string{"r-0"})
	storetestkit.Check(t, "done", list(t, s, store.Filter{Status: domain.Done}, store.Page{}), nil)
	for _, viewer := range []string{"u-x", "late"} {
		storetestkit.Check(t, "viewer "+viewer, list(t, s, store.Filter{ViewerID: viewer}, store.Page{}), nil)
	}
	storetestkit.Check(t, "pending audit", storetestkit.EventIDs(storetestkit.Must(s.Pending(ctx, "audit", 10))(t)), []string{"ev-0"})
	storetestkit.Check(t, "pending task", storetestkit.EventIDs(storetestkit.Must(s.Pending(ctx, "task", 10))(t)), nil)
	// The id, the client id, the version and the processed mark are free again.
	storetestkit.Write(t, s, fullChange)
	storetestkit.Check(t, "requests after the change", list(t, s, store.Filter{}, store.Page{}), []string{"r-x", "r-0"})
	storetestkit.Check(t, "late sees r-0", list(t, s, store.Filter{ViewerID: "late"}, store.Page{}), []string{"r-0"})
	storetestkit.Check(t, "pending audit after the change", storetestkit.EventIDs(storetestkit.Must(s.Pending(ctx, "audit", 10))(t)), []string{"ev-0", "ev-x"})
}

func (Cases) ClosureErrorLeavesNothing(t *testing.T, s store.Store) {
	orig := seedForRollback(t, s)
	storetestkit.FailTx(t, s, fullChange, errBoom)
	assertNothing(t, s, orig)
}

func (Cases) ClosurePanicLeavesNothing(t *testing.T, s store.Store) {
	orig := seedForRollback(t, s)
	storetestkit.PanicTx(t, s, fullChange)
	assertNothing(t, s, orig)
}

func (Cases) MarkProcessedDedupes(t *testing.T, s store.Store) {
	storetestkit.MarkProcessed(t, s, errBoom)
}

func (Cases) EventsPendingOnlyAfterCommitInOrder(t *testing.T, s store.Store) {
	storetestkit.Outbox(t, s, func(id string) *eventsv1.Event {
		return &eventsv1.Event{Id: id, Service: "grantflow-request", Action: "request.submitted", Subject: "requests/r-1"}
	})
}

func (Cases) RetractRemovesAPendingWorkItemWithTheChange(t *testing.T, s store.Store) {
	ctx := t.Context()
	create(t, s, grant("r-1", "u-1", "u-1", "app"))
	work := func(id string) *eventsv1.Event {
		return &eventsv1.Event{Id: id, Service: "grantflow-request", Action: "request.work.drive", Subject: "requests/r-1"}
	}
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, id := range []string{"w-1", "w-2"} {
			if err := tx.Emit(ctx, []string{"work", "audit"}, work(id)); err != nil {
				return err
			}
		}
		return nil
	})
	// A failed transaction retracts nothing.
	err := s.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.Retract(ctx, "work", "w-1"); err != nil {
			return err
		}
		return errBoom
	})
	storetestkit.WantErr(t, "failed retraction", err, errBoom)
	storetestkit.Check(t, "work after a failed retraction", storetestkit.EventIDs(storetestkit.Must(s.Pending(ctx, "work", 10))(t)), []string{"w-1", "w-2"})
	// A committed one removes that item of that sink, with the transaction's change.
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		r, err := tx.LockRequest(ctx, "r-1")
		if err != nil {
			return err
		}
		r.StepOpened, r.Version = true, r.Version+1
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		if err := tx.Retract(ctx, "work", "w-1"); err != nil {
			return err
		}
		return tx.Retract(ctx, "work", "gone") // delivered already: no error
	})
	storetestkit.Check(t, "work", storetestkit.EventIDs(storetestkit.Must(s.Pending(ctx, "work", 10))(t)), []string{"w-2"})
	storetestkit.Check(t, "audit", storetestkit.EventIDs(storetestkit.Must(s.Pending(ctx, "audit", 10))(t)), []string{"w-1", "w-2"})
	got, err := s.GetRequest(ctx, "r-1")
	if err != nil || !got.StepOpened {
		t.Fatalf("the change committed with the retraction: %v %v", got.StepOpened, err)
	}
}
