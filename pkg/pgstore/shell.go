package pgstore

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/storekit"
)

// Shell is the part of a service's PostgreSQL store that does not depend on its tables: the
// open DB, the closure transaction that hands the service's own Tx type to its closure, Ping
// and Close. A service's Store embeds it (and a pgoutbox.Store for its outbox).
type Shell[T any] struct {
	db    *DB
	begin func(pgx.Tx) T
}

var _ storekit.Shell[struct{}] = Shell[struct{}]{}

// NewShell is a shell on db whose transactions reach their closure as begin(tx).
func NewShell[T any](db *DB, begin func(pgx.Tx) T) Shell[T] {
	return Shell[T]{db: db, begin: begin}
}

// InTx runs fn in a read-committed transaction (see DB.InTx: fn runs again after a
// serialization failure or deadlock, so it must have no effects outside the transaction).
func (s Shell[T]) InTx(ctx context.Context, fn func(ctx context.Context, tx T) error) error {
	return s.db.InTx(ctx, func(ptx pgx.Tx) error { return fn(ctx, s.begin(ptx)) })
}

// DB is the open store the shell runs on.
func (s Shell[T]) DB() *DB { return s.db }

// Ping checks that the database answers.
func (s Shell[T]) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Close closes the connection pool.
func (s Shell[T]) Close() { s.db.Close() }

// OpenStore opens the store that opts describes (see Open) and builds the service's store on
// it with newStore; errors name the schema. The caller must Close the store.
func OpenStore[S any](ctx context.Context, opts Options, newStore func(*DB) S) (S, error) {
	db, err := Open(ctx, opts)
	if err != nil {
		var zero S
		return zero, fmt.Errorf("%s store: %w", opts.Schema, err)
	}
	return newStore(db), nil
}

// Opener is a service's Open: it opens schema's store at url (see OpenStore) and builds the
// service's store on it with newStore.
func Opener[S any](schema Schema, newStore func(*DB) S) func(ctx context.Context, url string) (S, error) {
	return func(ctx context.Context, url string) (S, error) { return OpenStore(ctx, schema.Options(url), newStore) }
}

// Sub is the directory dir of fsys, for Options.Migrations from an embed.FS holding
// "migrations/*.sql". It panics only for an invalid path, a programming error.
func Sub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(fmt.Sprintf("pgstore: migrations %q: %v", dir, err))
	}
	return sub
}
