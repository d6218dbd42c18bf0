package postgres

import (
	"context"
	"embed"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/outbox/pgoutbox"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/timer/pgtimer"
	"github.com/grantflow/grantflow/pkg/watch"
	"github.com/grantflow/grantflow/services/request/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Schema is the PostgreSQL schema the request service owns, with its migrations: what [Open]
// opens, and what a `migrate` subcommand and the tests pass to pgstore.
var Schema = pgstore.NewSchema("request", migrations)

// Open migrates the request schema of the database at url and opens a store on it; the caller
// must Close it.
func Open(ctx context.Context, url string) (*Store, error) {
	return pgstore.OpenStore(ctx, Schema.Options(url), New)
}

var storeErrors = pgstore.Errors{Store: "request store", NotFound: store.ErrNotFound, Conflict: store.ErrConflict}

// Store is the PostgreSQL request store: its queries (reader) on the kit's shell.
type Store struct {
	reader
	pgoutbox.Shell[store.Tx]
	pgtimer.Timers[store.Tx]
	hub *watch.Hub
}

// New returns a store on db, which must use the request schema with its migrations applied (as
// pgstore.Open with [Schema] or pgtest.NewDatabase leave it). Close closes db.
func New(db *pgstore.DB) *Store {
	return &Store{reader{storeErrors.On(db.Pool())}, pgoutbox.NewShell(db, begin), pgtimer.NewTimers(db, begin), watch.NewHub()}
}

// changesChannel is the channel request_changes' trigger notifies, with the request's id.
const changesChannel = "request_changes"

// Watch subscribes to the changes of request id: woken by what Listen hears.
func (s *Store) Watch(id string) *watch.Watcher { return s.hub.Watch(id) }

// Listen LISTENs to request_changes until ctx ends: every committed change of a request, in
// this process or another sharing the database, wakes its watchers.
func (s *Store) Listen(ctx context.Context) {
	s.DB().Listen(ctx, changesChannel, nil, func(id string) {
		if id == "" {
			s.hub.PublishAll()
			return
		}
		s.hub.Publish(id)
	})
}

// reader answers store.Reader's queries through q; tx is a store.Tx on one pgx transaction,
// whose reads see its own writes.
type (
	reader struct{ q pgstore.Q }
	tx     struct {
		reader
		pgoutbox.Tx
		pgtimer.Scheduler
	}
)

func begin(ptx pgx.Tx) store.Tx {
	return &tx{reader{storeErrors.On(ptx)}, pgoutbox.Tx{PgTx: ptx}, pgtimer.Scheduler{PgTx: ptx}}
}

var (
	_ store.Store = (*Store)(nil)
	_ store.Tx    = (*tx)(nil)
)
