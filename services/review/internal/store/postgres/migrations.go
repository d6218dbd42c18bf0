package postgres

import (
	"embed"

	"github.com/grantflow/grantflow/pkg/pgstore"
)

// Schema is the PostgreSQL schema the review service owns.
const Schema = "review"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations holds the review schema's goose migrations at its root, as pgstore expects.
var Migrations = pgstore.Sub(migrationFiles, "migrations")

// Options returns the pgstore options that open the review schema at url: what [Open] uses,
// and what a `migrate` subcommand passes to pgstore.Migrate.
func Options(url string) pgstore.Options {
	return pgstore.Options{URL: url, Schema: Schema, Migrations: Migrations}
}
