package pgtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for pgtestdb
	"github.com/peterldowns/pgtestdb"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgstore/kitmigrations"
	"github.com/grantflow/grantflow/pkg/storetestkit"
	"github.com/grantflow/grantflow/pkg/testenv"
)

// NewDatabase returns a store in a fresh database of its own for t, with opts.Schema migrated
// with the kit's migrations and opts.Migrations. opts.URL is ignored: the server comes from
// testenv.PostgresURL. The database is dropped when t ends (kept if t failed: see the
// package documentation).
func NewDatabase(t testing.TB, opts pgstore.Options) *pgstore.DB {
	t.Helper()
	if err := pgstore.ValidateSchema(opts.Schema); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	opts.URL = newDatabase(t, migrator{opts: opts})
	db, err := pgstore.Open(t.Context(), opts)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", opts.URL, err)
	}
	t.Cleanup(db.Close) // before pgtestdb drops the database: cleanups run last-in first-out
	return db
}

// Stores is a contract suite's constructor for the PostgreSQL engine: each test gets
// newStore on a fresh database of schema (see NewDatabase).
func Stores[S any](schema pgstore.Schema, newStore func(*pgstore.DB) S) func(t *testing.T) S {
	return func(t *testing.T) S { return newStore(NewDatabase(t, schema.Options(""))) }
}

// OpenTwice checks a PostgreSQL store's production path on a fresh empty database: open
// (which migrates) it, Ping, Close, and open it once more, its migrations already applied.
func OpenTwice[S interface {
	Ping(ctx context.Context) error
	Close()
}](t *testing.T, open func(ctx context.Context, url string) (S, error)) {
	t.Helper()
	url := NewEmptyDatabase(t)
	s, err := open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	again, err := open(t.Context(), url)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	again.Close()
}

// NewEmptyDatabase creates a database with nothing in it for t and returns its URL; it is
// dropped when t ends. For tests of migrations themselves, and for the suites that run the
// services as processes (each migrates its own schema).
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	return newDatabase(t, pgtestdb.NoopMigrator{})
}

// URL returns the URL of the database that NewDatabase (or NewEmptyDatabase) last made for t,
// for a test that needs connections of its own, e.g. to tamper with rows as superuser.
// Unlike the store's pool, such connections use the default search_path: qualify names with
// the schema.
func URL(t testing.TB) string {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	u, ok := urls[t]
	if !ok {
		t.Fatalf("pgtest.URL: no database was created for %s", t.Name())
	}
	return u
}

var (
	mu   sync.Mutex
	urls = map[testing.TB]string{}
)

// newDatabase has pgtestdb make t's database from m's template and returns its URL.
func newDatabase(t testing.TB, m pgtestdb.Migrator) string {
	t.Helper()
	conf, err := config(testenv.PostgresURL(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	dbURL := pgtestdb.Custom(t, conf, m).URL()
	mu.Lock()
	urls[t] = dbURL
	mu.Unlock()
	t.Cleanup(func() {
		mu.Lock()
		delete(urls, t)
		mu.Unlock()
	})
	return dbURL
}

// config is pgtestdb's view of the server at admin. The tests' databases belong to admin's
// own user (no separate test role), as before pgtestdb: tests may act as superuser, and
// connections left open at the end (a killed service's) are terminated before the drop.
func config(admin string) (pgtestdb.Config, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return pgtestdb.Config{}, fmt.Errorf("test PostgreSQL URL must be a postgres:// URL, got %q", admin)
	}
	user := u.User.Username()
	password, _ := u.User.Password()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	database := u.Path
	if len(database) > 1 {
		database = database[1:]
	} else {
		database = "postgres"
	}
	// pgtestdb formats the URL without escaping: escape the password here (the user name
	// also names the owner in SQL, so it must not need escaping).
	password = strings.TrimPrefix(url.UserPassword("", password).String(), ":")
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       port,
		User:       user,
		Password:   password,
		Database:   database,
		Options:    u.RawQuery,
		// The admin's own role: it exists, so pgtestdb creates none.
		TestRole:                  &pgtestdb.Role{Username: user, Password: password},
		ForceTerminateConnections: true,
	}, nil
}

// migrator migrates a template database with the kit's migrations and the service's, in
// the service's schema, with pgstore.Migrate (the code the services run).
type migrator struct{ opts pgstore.Options }

// Hash digests the schema and the migrations (names and contents): change a migration and
// the next run builds a new template.
func (m migrator) Hash() (string, error) {
	return migrationsHash(m.opts.Schema, m.opts.Migrations)
}

func (m migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	opts := m.opts
	opts.URL = conf.URL()
	return pgstore.Migrate(ctx, opts)
}

// migrationsHash digests schema, the kit's migrations and the service's (names and contents).
func migrationsHash(schema string, service fs.FS) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "schema %s\n", schema)
	for _, src := range []struct {
		label string
		fsys  fs.FS
	}{{"kit", kitmigrations.FS()}, {"service", service}} {
		if src.fsys == nil {
			continue
		}
		err := fs.WalkDir(src.fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(src.fsys, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s/%s %d\n", src.label, path, len(data))
			h.Write(data)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("hash %s migrations: %w", src.label, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Pool opens a pool on dbURL for the test's own sessions, marked with application_name so
// that a test can tell them apart from the sessions of the processes it runs (and spare
// them when it terminates those). It is closed when t ends.
func Pool(t testing.TB, dbURL, applicationName string) *pgxpool.Pool {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	q := u.Query()
	q.Set("application_name", applicationName)
	u.RawQuery = q.Encode()
	pool, err := pgxpool.New(context.Background(), u.String())
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Contract runs a PostgreSQL store's contract suite, cases (see storetestkit.Suite), each
// case on a store newStore makes on a fresh database of schema, and then, as "Open", its
// production path through open (see OpenTwice).
func Contract[S interface {
	Ping(ctx context.Context) error
	Close()
}](t *testing.T, schema pgstore.Schema, newStore func(*pgstore.DB) S, open func(ctx context.Context, url string) (S, error), cases any) {
	t.Helper()
	storetestkit.Suite(t, Stores(schema, newStore), cases)
	t.Run("Open", func(t *testing.T) { OpenTwice(t, open) })
}
