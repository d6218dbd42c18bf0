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
}

var schemaPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)

// ValidateSchema reports whether name is acceptable as a service schema.
func ValidateSchema(name string) error {
	if !schemaPattern.MatchString(name) {
		return fmt.Errorf("pgstore: invalid schema name %q: want lowercase letters, digits and underscores, starting with a letter, at most 63 bytes", name)
	}
	return nil
}

func (o Options) validate() error {
	if o.URL == "" {
		return errors.New("pgstore: URL is required")
	}
	if o.MaxConns < 0 {
		return fmt.Errorf("pgstore: MaxConns must not be negative, got %d", o.MaxConns)
	}
	return ValidateSchema(o.Schema)
}
