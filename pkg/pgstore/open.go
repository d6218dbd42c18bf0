package pgstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// minMaxConns is the smallest pool Open makes when neither Options.MaxConns nor the URL's
// pool_max_conns says: pgx's default (4, or the number of CPUs) is too few for a service
// whose outbox has four sinks, since each relay holds a lock connection while it reads the
// outbox through another, and four relays holding four connections would wait forever.
// Connections open on demand: an idle service keeps few.
const minMaxConns = 12

// DB is an open service store: a pool of connections that all use the service's schema.
type DB struct {
	pool   *pgxpool.Pool
	schema string
	errs   Errors
}

// Open creates the schema if missing, applies the kit's and the service's migrations, and
// opens the pool. Its connections read timestamptz values in UTC. The caller must Close the DB.
func Open(ctx context.Context, opts Options) (*DB, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("pgstore: parse URL: %w", err)
	}
	switch {
	case opts.MaxConns > 0:
		cfg.MaxConns = opts.MaxConns
	case !strings.Contains(opts.URL, "pool_max_conns") && cfg.MaxConns < minMaxConns:
		cfg.MaxConns = minMaxConns
	}
	useSchema(cfg.ConnConfig, opts.Schema)
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		utcTimestamps(conn)
		return nil
	}

	if err := migrate(ctx, cfg.ConnConfig, opts); err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: ping: %w", err)
	}
	return &DB{pool: pool, schema: opts.Schema, errs: opts.errors()}, nil
}

// useSchema makes every connection made from cfg resolve unqualified names in schema only.
func useSchema(cfg *pgx.ConnConfig, schema string) {
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["search_path"] = schema
}

// Pool returns the connection pool, for queries outside InTx.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Q is the pool answering with the store's errors: what a service's store reads through
// outside a transaction. The errors name the store after its schema ("task store") and map
// Options.Codes.
func (db *DB) Q() Q { return db.On(db.pool) }

// On is q (a transaction of db) answering with the store's errors, as [DB.Q] does.
func (db *DB) On(q Querier) Q { return db.errs.On(q) }

// Schema returns the service schema the pool's connections use.
func (db *DB) Schema() string { return db.schema }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.pool.Ping(ctx) }

// Close closes the pool, waiting for acquired connections to be released.
func (db *DB) Close() { db.pool.Close() }
