package pgstore

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
)

// Options says which store to open.
type Options struct {
	// URL is a PostgreSQL connection URL or key=value string (pgx syntax).
	URL string
	// Schema is the service's own schema: lowercase letters, digits and underscores, starting
	// with a letter, at most 63 bytes. It is interpolated into SQL, hence the strict rule.
	Schema string
	// Migrations holds the service's goose SQL files at its root (for an embed.FS, pass
	// fs.Sub(files, "migrations")). Nil means the service has none.
	Migrations fs.FS
	// MaxConns caps the pool; 0 keeps the URL's pool_max_conns, or else at least 12 (see
	// minMaxConns). The outbox relay lock holds one connection per relay while the relay
	// reads through another, so leave room for it.
	MaxConns int32
	// Codes maps the SQLSTATEs the schema's own triggers raise to the store's errors (see
	// Errors.Codes and DB.Q).
	Codes map[string]error
}

var schemaPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidateSchema reports whether name is acceptable as a service schema.
func ValidateSchema(name string) error {
	if !schemaPattern.MatchString(name) {
		return fmt.Errorf("pgstore: invalid schema name %q: want lowercase letters, digits and underscores, starting with a letter, at most 63 bytes", name)
	}
	return nil
}

// errors are the errors of the store o opens: named after its schema, with its codes.
func (o Options) errors() Errors { return Errors{Store: o.Schema + " store", Codes: o.Codes} }

func (o Options) validate() error {
	if o.URL == "" {
		return errors.New("pgstore: URL is required")
	}
	if o.MaxConns < 0 {
		return fmt.Errorf("pgstore: MaxConns must not be negative, got %d", o.MaxConns)
	}
	return ValidateSchema(o.Schema)
}

// Schema is a service's own PostgreSQL schema: its name, its goose migrations and, where the
// service needs another, its pool size. A service's store package declares one value of it;
// its Open, its `migrate` command and its tests open the schema through [Schema.Options].
type Schema struct {
	// Name is the schema (see Options.Schema).
	Name string
	// Migrations holds the goose SQL files at its root (see Options.Migrations).
	Migrations fs.FS
	// MaxConns caps the pool (see Options.MaxConns); 0 keeps the default.
	MaxConns int32
	// Codes maps the SQLSTATEs of the schema's own triggers to the store's errors (see
	// Options.Codes).
	Codes map[string]error
}

// NewSchema is the schema name whose migrations are the directory "migrations" of files (an
// embed.FS of "migrations/*.sql").
func NewSchema(name string, files fs.FS) Schema {
	return Schema{Name: name, Migrations: Sub(files, "migrations")}
}

// Options are the options that open s at url: what a store's Open passes to [OpenStore], what
// a `migrate` command passes to [Migrate], and (with any url) what pgtest.NewDatabase takes.
func (s Schema) Options(url string) Options {
	return Options{URL: url, Schema: s.Name, Migrations: s.Migrations, MaxConns: s.MaxConns, Codes: s.Codes}
}
