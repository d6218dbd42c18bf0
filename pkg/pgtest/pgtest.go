package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/testenv"
)

// cleanupTimeout bounds dropping a test database after the test's own context has ended.
const cleanupTimeout = 30 * time.Second

// NewDatabase returns a store in a fresh database of its own for t, with opts.Schema migrated
// with the kit's migrations and opts.Migrations. opts.URL is ignored: the server comes from
// testenv.PostgresURL. The database is dropped when t ends.
func NewDatabase(t testing.TB, opts pgstore.Options) *pgstore.DB {
	t.Helper()
	admin := testenv.PostgresURL(t)
	if err := pgstore.ValidateSchema(opts.Schema); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx := t.Context()

	name := "gf_test_" + randomHex(8)
	for attempt := 1; ; attempt++ {
		tmpl, err := ensureTemplate(ctx, admin, opts)
		if err != nil {
			t.Fatalf("pgtest: template for schema %s: %v", opts.Schema, err)
		}
		err = createDatabase(ctx, admin, name, tmpl)
		if err == nil {
			break
		}
		// A build for other migrations of the schema dropped the template since this
		// process made it (another test binary, or this one with other files): build again.
		var pgErr *pgconn.PgError
		if attempt == 1 && errors.As(err, &pgErr) && pgErr.Code == "3D000" {
			templates.Delete(tmpl)
			continue
		}
		t.Fatalf("pgtest: %v", err)
	}
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	opts.URL = dbURL
	db, err := pgstore.Open(ctx, opts)
	if err != nil {
		dropDatabase(t, admin, name)
		t.Fatalf("pgtest: open %s: %v", name, err)
	}
	remember(t, dbURL)
	t.Cleanup(func() {
		db.Close()
		dropDatabase(t, admin, name)
	})
	return db
}

// NewEmptyDatabase creates a database with nothing in it for t and returns its URL; it is
// dropped when t ends. For tests of migrations themselves.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	admin := testenv.PostgresURL(t)
	name := "gf_test_" + randomHex(8)
	if err := createDatabase(t.Context(), admin, name, "template0"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() { dropDatabase(t, admin, name) })
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	remember(t, dbURL)
	return dbURL
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

func remember(t testing.TB, dbURL string) {
	mu.Lock()
	urls[t] = dbURL
	mu.Unlock()
	t.Cleanup(func() {
		mu.Lock()
		delete(urls, t)
		mu.Unlock()
	})
}

func createDatabase(ctx context.Context, admin, name, template string) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	q := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize())
	if _, err := conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("create database %s from %s: %w", name, template, err)
	}
	return nil
}

// dropDatabase runs from cleanups, after the test's context has ended: it uses its own.
func dropDatabase(t testing.TB, admin, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("pgtest: drop %s: connect: %v", name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: drop %s: %v", name, err)
	}
}

// withDatabase returns the URL admin with its database replaced by name.
func withDatabase(admin, name string) (string, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("test PostgreSQL URL must be a postgres:// URL, got %q", admin)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}
