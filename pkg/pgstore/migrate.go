package pgstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/grantflow/grantflow/pkg/pgstore/kitmigrations"
)

const (
	kitVersionTable     = "kit_migrations"
	serviceVersionTable = "goose_migrations"
)

// Migrate creates the schema if missing and applies the kit's and the service's pending
// migrations, as Open does, without opening a pool. It is what a `migrate` subcommand runs.
func Migrate(ctx context.Context, opts Options) error {
	if err := opts.validate(); err != nil {
		return err
	}
	cfg, err := pgx.ParseConfig(opts.URL)
	if err != nil {
		return fmt.Errorf("pgstore: parse URL: %w", err)
	}
	useSchema(cfg, opts.Schema)
	return migrate(ctx, cfg, opts)
}

// migrate runs under a session advisory lock keyed by the schema, held on a connection of its
// own: goose's connections come and go, the lock stays until everything is applied. Waiting
// for the lock honours ctx.
func migrate(ctx context.Context, cfg *pgx.ConnConfig, opts Options) error {
	lockConn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("pgstore: connect: %w", err)
	}
	// Closing the session releases the advisory lock.
	defer func() { _ = lockConn.Close(context.WithoutCancel(ctx)) }()

	if _, err := lockConn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", "grantflow.pgstore.migrate:"+opts.Schema); err != nil {
		return fmt.Errorf("pgstore: take migration lock: %w", err)
	}
	schema := pgx.Identifier{opts.Schema}.Sanitize()
	if _, err := lockConn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema); err != nil {
		return fmt.Errorf("pgstore: create schema %s: %w", opts.Schema, err)
	}

	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	if err := up(ctx, db, kitmigrations.FS(), opts.Schema+"."+kitVersionTable); err != nil {
		return fmt.Errorf("pgstore: kit migrations: %w", err)
	}
	if opts.Migrations != nil {
		if err := up(ctx, db, opts.Migrations, opts.Schema+"."+serviceVersionTable); err != nil {
			return fmt.Errorf("pgstore: service migrations: %w", err)
		}
	}
	return nil
}

// up applies the pending migrations of fsys, recording them in versionTable.
func up(ctx context.Context, db *sql.DB, fsys fs.FS, versionTable string) error {
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(versionTable),
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(slog.New(slog.DiscardHandler)),
	)
	if err != nil {
		return err
	}
	// p.Close would close db, which the caller owns.
	_, err = p.Up(ctx)
	return err
}
