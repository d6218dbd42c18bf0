package storetest

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/services/request/internal/domain"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

func (Cases) RequestRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	want := full("r-1", "client-1")
	// The least a request holds: no client id, no new app, no lists, an empty workflow.
	bare := domain.Request{ID: "r-2", Type: domain.ArchiveApp, RequesterID: "u-1", AppID: "app-9",
		Status: domain.InProgress, Stage: domain.StageAction, CreateTime: storetestkit.At(3), UpdateTime: storetestkit.At(3), Version: 1}
	create(t, s, want, bare)
	storetestkit.Check(t, "GetRequest", storetestkit.Must(s.GetRequest(ctx, "r-1"))(t), want)
	gotBare := storetestkit.Must(s.GetRequest(ctx, "r-2"))(t)
	storetestkit.Check(t, "GetRequest of a bare request", gotBare, bare)
	if gotBare.NewApp != nil {
		t.Errorf("NewApp = %+v, want nil", gotBare.NewApp)
	}
	_, err := s.GetRequest(ctx, "nope")
	storetestkit.WantErr(t, "GetRequest missing", err, store.ErrNotFound)

	// A read copy is the caller's: changing it changes nothing stored.
	got := storetestkit.Must(s.GetRequest(ctx, "r-1"))(t)
	got.TaskIDs[0], got.AppOwnerIDs[0], got.AssigneeIDs[0] = "x", "x", "x"
	got.NewApp.OwnerIDs[0], got.NewApp.Permissions[0].Name = "x", "x"
	got.Workflow.ReviewSteps[0] = domain.Step{Name: "x"}
	storetestkit.Check(t, "GetRequest after changing a copy", storetestkit.Must(s.GetRequest(ctx, "r-1"))(t), want)
	listed := storetestkit.Must(s.ListRequests(ctx, store.Filter{}, store.Page{}))(t)
	listed[1].TaskIDs[0] = "x"
	storetestkit.Check(t, "ListRequests after changing a copy", storetestkit.Must(s.ListRequests(ctx, store.Filter{}, store.Page{}))(t), []domain.Request{bare, want})
}

func (Cases) GetRequestByClientID(t *testing.T, s store.Store) {
	ctx := t.Context()
	withID := full("r-1", "client-1")
	// Any number of requests may come without a client id.
	noID1, noID2 := grant("r-2", "u-1", "u-1", "app-1"), grant("r-3", "u-1", "u-1", "app-2")
	create(t, s, withID, noID1, noID2)
	storetestkit.Check(t, "by client id", storetestkit.Must(s.GetRequestByClientID(ctx, "client-1"))(t), withID)
	_, err := s.GetRequestByClientID(ctx, "client-2")
	storetestkit.WantErr(t, "unknown client id", err, store.ErrNotFound)
	_, err = s.GetRequestByClientID(ctx, "")
	storetestkit.WantErr(t, "empty client id", err, store.ErrNotFound)
	storetestkit.Check(t, "requests", list(t, s, store.Filter{}, store.Page{}), []string{"r-3", "r-2", "r-1"})
}

func (Cases) CreateRequestDuplicateIDOrClientID(t *testing.T, s store.Store) {
	ctx := t.Context()
	orig := grant("r-1", "u-1", "u-1", "app-1")
	orig.ClientID = "client-1"
	create(t, s, orig)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		dupID := grant("r-1", "ghost-1", "ghost-1", "app-1")
		dupID.ClientID = "client-9"
		storetestkit.WantErr(t, "duplicate id", tx.CreateRequest(ctx, dupID), store.ErrConflict)
		dupClient := grant("r-2", "ghost-2", "ghost-2", "app-1")
		dupClient.ClientID = "client-1"
		storetestkit.WantErr(t, "duplicate client id", tx.CreateRequest(ctx, dupClient), store.ErrConflict)
		// The transaction is still usable after a refused create.
		ok := grant("r-3", "u-1", "u-1", "app-1")
		ok.ClientID = "client-3"
		if err := tx.CreateRequest(ctx, ok); err != nil {
			return err
		}
		got, err := tx.GetRequest(ctx, "r-3")
		storetestkit.Check(t, "in tx", got.ClientID, "client-3")
		return err
	})
	storetestkit.Check(t, "requests", list(t, s, store.Filter{}, store.Page{}), []string{"r-3", "r-1"})
	storetestkit.Check(t, "the original", storetestkit.Must(s.GetRequest(ctx, "r-1"))(t), orig)
	storetestkit.Check(t, "client-1", storetestkit.Must(s.GetRequestByClientID(ctx, "client-1"))(t).ID, "r-1")
	_, err := s.GetRequestByClientID(ctx, "client-9")
	storetestkit.WantErr(t, "client id of a refused create", err, store.ErrNotFound)
	for _, ghost := range []string{"ghost-1", "ghost-2", "mgr-of-ghost-1"} {
		storetestkit.Check(t, ghost+" sees nothing", list(t, s, store.Filter{ViewerID: ghost}, store.Page{}), nil)
	}
	storetestkit.Check(t, "u-1 sees no ghost rows", list(t, s, store.Filter{ViewerID: "u-1"}, store.Page{}), []string{"r-3", "r-1"})
}

func (Cases) UpdateRequestChecksVersionAndKeepsClientID(t *testing.T, s store.Store) {
	ctx := t.Context()
	orig := grant("r-1", "u-1", "u-2", "app-1")
	orig.ClientID = "client-1"
	create(t, s, orig)

	next := orig.Clone()
	next.AddTasks("t-1", "t-2")
	next.AddAssignees("u-9")
	next.StepOpened, next.UpdateTime, next.Version = true, storetestkit.At(5), 2
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		for _, v := range []int64{1, 3, 9} {
			stale := next.Clone()
			stale.Version = v
			storetestkit.WantErr(t, "stale version", tx.UpdateRequest(ctx, stale), store.ErrConflict)
		}
		missing := next.Clone()
		missing.ID = "nope"
		storetestkit.WantErr(t, "missing request", tx.UpdateRequest(ctx, missing), store.ErrNotFound)
		return nil
	})
	storetestkit.Check(t, "after refused updates", storetestkit.Must(s.GetRequest(ctx, "r-1"))(t), orig)

	// The client id and body hash are the submit's: an update never changes them.
	carried := next.Clone()
	carried.ClientID, carried.BodyHash = "client-2", "other"
	update(t, s, carried)
	storetestkit.Check(t, "after update", storetestkit.Must(s.GetRequest(ctx, "r-1"))(t), next)
	storetestkit.Check(t, "by client id after update", storetestkit.Must(s.GetRequestByClientID(ctx, "client-1"))(t), next)
	_, err := s.GetRequestByClientID(ctx, "client-2")
	storetestkit.WantErr(t, "client id an update carried", err, store.ErrNotFound)

	// Every other field is the update's.
	last := full("r-1", "ignored")
	last.ClientID, last.BodyHash, last.Version = orig.ClientID, orig.BodyHash, 3
	update(t, s, last)
	storetestkit.Check(t, "after a second update", storetestkit.Must(s.GetRequest(ctx, "r-1"))(t), last)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		storetestkit.WantErr(t, "replayed update", tx.UpdateRequest(ctx, last), store.ErrConflict)
		return nil
	})
}

func (Cases) LockRequest(t *testing.T, s store.Store) {
	want := full("r-1", "client-1")
	create(t, s, want)
	storetestkit.Write(t, s, func(ctx context.Context, tx store.Tx) error {
		_, err := tx.LockRequest(ctx, "nope")
		storetestkit.WantErr(t, "lock missing", err, store.ErrNotFound)
		got, err := tx.LockRequest(ctx, "r-1")
		if err != nil {
			return err
		}
		storetestkit.Check(t, "locked", got, want)
		got.Version++
		return tx.UpdateRequest(ctx, got)
	})
	storetestkit.Check(t, "version", storetestkit.Must(s.GetRequest(t.Context(), "r-1"))(t).Version, want.Version+1)
}
