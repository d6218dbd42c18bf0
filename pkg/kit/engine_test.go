package kit

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	eventsv1 "github.com/grantflow/grantflow/gen/go/grantflow/events/v1"
	"github.com/grantflow/grantflow/pkg/outbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
)

// storeOf is a service's store interface; memStore and pgStore are its two engines.
type storeOf interface {
	Store
	Engine() string
}

type memStore struct{ *outbox.Memory }

func (memStore) Engine() string             { return "memory" }
func (memStore) Ping(context.Context) error { return errors.New("down") }
func (memStore) Close()                     {}

type pgStore struct{ closed *bool }

func (pgStore) Engine() string                          { return "postgres" }
func (pgStore) Ping(context.Context) error              { return nil }
func (s pgStore) Close()                                { *s.closed = true }
func newMem() *memStore                                 { return &memStore{&outbox.Memory{}} }
func quiet() Settings                                   { return Settings{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))} }
func failing(context.Context, string) (*pgStore, error) { return nil, errors.New("refused") }

// The settings choose the engine; a failed build closes the store and returns no service;
// the store's Ping error names the service.
func TestOpenChoosesTheEngineAndClosesTheStoreOfAFailedBuild(t *testing.T) {
	closed := false
	open := func(context.Context, string) (*pgStore, error) { return &pgStore{closed: &closed}, nil }
	e := NewEngines[storeOf]("grantflow-x", newMem, open, pgstore.Schema{Name: "x"})
	m, err := Open(context.Background(), e, quiet(), func(p *Parts[storeOf]) (string, error) {
		if p.Base.Store != Store(p.Store) || p.Log == nil {
			t.Fatal("the parts do not hold the store and a logger")
		}
		return p.Store.Engine(), nil
	})
	if err != nil || m != "memory" {
		t.Fatalf("no PostgreSQL URL: %q, %v", m, err)
	}
	set := quiet()
	set.PostgresURL = "postgres://x"
	m, err = Open(context.Background(), e, set, func(p *Parts[storeOf]) (string, error) { return p.Store.Engine(), errors.New("boom") })
	if err == nil || m != "" || !closed {
		t.Fatalf("a failed build: %q, %v, store closed %v", m, err, closed)
	}
	bad := NewEngines[storeOf]("grantflow-x", newMem, failing, pgstore.Schema{Name: "x"})
	if _, err := Open(context.Background(), bad, set, func(*Parts[storeOf]) (int, error) { t.Fatal("built on no store"); return 0, nil }); err == nil || !strings.HasPrefix(err.Error(), "x store: ") {
		t.Fatalf("a store that does not open: %v", err)
	}
	p := e.On(newMem(), quiet())
	if err := p.Base.Ping(context.Background()); err == nil || err.Error() != "x store: down" {
		t.Fatalf("Ping = %v", err)
	}
}

// Relay makes one relay per target with a sink, on the store's outbox.
func TestRelayMakesTheRelaysOfTheTargetsWithASink(t *testing.T) {
	e := NewEngines[storeOf]("grantflow-x", newMem, failing, pgstore.Schema{Name: "x"})
	p := e.On(newMem(), quiet())
	sink := outbox.SinkFunc(func(context.Context, []*eventsv1.Event) error { return nil })
	if err := p.Relay(outbox.Target{Name: "audit", Sink: sink}, outbox.Target{Name: "request"}); err != nil {
		t.Fatal(err)
	}
	if p.Base.Relays.Len() != 1 {
		t.Fatalf("%d relays, want 1", p.Base.Relays.Len())
	}
}

// A store engine that is not the service's store is refused when the engines are declared.
func TestNewEnginesRefusesAnEngineOfAnotherStore(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	NewEngines[storeOf]("grantflow-x", func() *outbox.Memory { return &outbox.Memory{} }, failing, pgstore.Schema{})
}

// Define names the service by its engines.
func TestDefine(t *testing.T) {
	e := NewEngines[storeOf]("grantflow-x", newMem, failing, pgstore.Schema{Name: "x"})
	svc := Define(e, func(*Env, *Deps) int { return 1 }, func(context.Context, int) (*fakeModule, error) { return &fakeModule{}, nil })
	if svc.Name != "grantflow-x" || svc.New == nil || svc.Migrate == nil {
		t.Fatalf("Define = %+v", svc)
	}
}
