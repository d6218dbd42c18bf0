package postgres

import (
	"embed"
	"io/fs"

	"github.com/grantflow/grantflow/pkg/pgstore"
)

// Schema is the PostgreSQL schema the notification service owns.
const Schema = "notification"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations holds the notification schema's goose migrations at its root, as pgstore
// expects.
var Migrations fs.FS = pgstore.Sub(migrationFiles, "migrations")

// Options returns the pgstore options that open the notification schema at url: what
// [Open] uses, and what the `migrate` subcommand passes to pgstore.Migrate.
func Options(url string) pgstore.Options {
	return pgstore.Options{URL: url, Schema: Schema, Migrations: Migrations}
}
