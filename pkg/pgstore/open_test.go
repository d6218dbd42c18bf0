package pgstore_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgstore/kitmigrations"
	"github.com/grantflow/grantflow/pkg/pgtest"
)

var widgetsV1 = fstest.MapFS{
	"00001_widgets.sql": {Data: []byte(`-- +goose Up
CREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL);
-- +goose Down
DROP TABLE widgets;
`)},
}

// widgetsV2 is widgetsV1 plus a second migration, as a later release would ship.
var widgetsV2 = fstest.MapFS{
	"00001_widgets.sql": widgetsV1["00001_widgets.sql"],
	"00002_widget_color.sql": {Data: []byte(`-- +goose Up
ALTER TABLE widgets ADD COLUMN color text;
-- +goose Down
ALTER TABLE widgets DROP COLUMN color;
`)},
}

// superuser connects to url with the default search_path, to look at what a store did.
func superuser(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func tablesIn(t *testing.T, conn *pgx.Conn, schema string) []string {
	t.Helper()
	rows, err := conn.Query(t.Context(),
		"SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename", schema)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func appliedVersions(t *testing.T, conn *pgx.Conn, table string) []int64 {
	t.Helper()
	rows, err := conn.Query(t.Context(),
		"SELECT version_id FROM "+table+" WHERE version_id > 0 AND is_applied ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

func TestOpenCreatesSchemaAppliesMigrationsAndScopesConnections(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	ctx := t.Context()

	db, err := pgstore.Open(ctx, pgstore.Options{URL: url, Schema: "widgetsvc", Migrations: widgetsV1, MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	su := superuser(t, url)
	got := strings.Join(tablesIn(t, su, "widgetsvc"), ",")
	if want := "goose_migrations,kit_migrations,outbox,processed_events,timers,widgets"; got != want {
		t.Errorf("tables in widgetsvc = %s, want %s", got, want)
	}
	if got := tablesIn(t, su, "public"); len(got) != 0 {
		t.Errorf("tables leaked into public: %v", got)
	}
	if db.Pool().Config().MaxConns != 3 {
		t.Errorf("MaxConns = %d, want 3", db.Pool().Config().MaxConns)
	}

	// Unqualified names used through the pool land in the service schema.
	if _, err := db.Pool().Exec(ctx, "INSERT INTO widgets (id, name) VALUES (1, 'w')"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := su.QueryRow(ctx, "SELECT name FROM widgetsvc.widgets WHERE id = 1").Scan(&name); err != nil || name != "w" {
		t.Errorf("row written through the pool: name=%q err=%v", name, err)
	}
	var searchPath string
	if err := db.Pool().QueryRow(ctx, "SHOW search_path").Scan(&searchPath); err != nil || searchPath != "widgetsvc" {
		t.Errorf("search_path = %q (%v), want widgetsvc", searchPath, err)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if db.Schema() != "widgetsvc" {
		t.Errorf("Schema() = %q", db.Schema())
	}
}

func TestMigrateAppliesOnlyWhatIsPending(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	ctx := t.Context()
	opts := pgstore.Options{URL: url, Schema: "widgetsvc", Migrations: widgetsV1}

	if err := pgstore.Migrate(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if err := pgstore.Migrate(ctx, opts); err != nil {
		t.Fatalf("second Migrate with nothing to do: %v", err)
	}
	su := superuser(t, url)
	if got := appliedVersions(t, su, "widgetsvc.goose_migrations"); len(got) != 1 || got[0] != 1 {
		t.Fatalf("service versions after v1 = %v, want [1]", got)
	}

	opts.Migrations = widgetsV2
	if err := pgstore.Migrate(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if got := appliedVersions(t, su, "widgetsvc.goose_migrations"); len(got) != 2 || got[1] != 2 {
		t.Errorf("service versions after v2 = %v, want [1 2]", got)
	}
	if got := appliedVersions(t, su, "widgetsvc.kit_migrations"); len(got) != kitMigrations(t) {
		t.Errorf("kit versions = %v, want each of the %d applied once", got, kitMigrations(t))
	}
	if _, err := su.Exec(ctx, "INSERT INTO widgetsvc.widgets (id, name, color) VALUES (1, 'w', 'red')"); err != nil {
		t.Errorf("v2 column missing: %v", err)
	}
}

func TestMigrateWithoutServiceMigrationsAppliesKitOnly(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	if err := pgstore.Migrate(t.Context(), pgstore.Options{URL: url, Schema: "bare"}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tablesIn(t, superuser(t, url), "bare"), ","); got != "kit_migrations,outbox,processed_events,timers" {
		t.Errorf("tables = %s", got)
	}
}

func TestConcurrentOpensApplyMigrationsOnce(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i := range replicas {
		wg.Go(func() {
			db, err := pgstore.Open(t.Context(), pgstore.Options{URL: url, Schema: "widgetsvc", Migrations: widgetsV2})
			errs[i] = err
			if err == nil {
				db.Close()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("replicas starting together: %v", err)
	}
	su := superuser(t, url)
	if got := appliedVersions(t, su, "widgetsvc.goose_migrations"); len(got) != 2 {
		t.Errorf("service versions = %v, want [1 2] applied once each", got)
	}
	if got := appliedVersions(t, su, "widgetsvc.kit_migrations"); len(got) != kitMigrations(t) {
		t.Errorf("kit versions = %v, want each of the %d applied once", got, kitMigrations(t))
	}
}

func TestOpenReportsBrokenServiceMigration(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	broken := fstest.MapFS{"00001_broken.sql": {Data: []byte("-- +goose Up\nCREATE TABLE (;\n")}}
	_, err := pgstore.Open(t.Context(), pgstore.Options{URL: url, Schema: "widgetsvc", Migrations: broken})
	if err == nil || !strings.Contains(err.Error(), "service migrations") {
		t.Fatalf("Open with a broken migration = %v, want a service migrations error", err)
	}
}

func TestOpenRejectsInvalidSchemaBeforeConnecting(t *testing.T) {
	t.Parallel()
	// The URL points nowhere: the schema check must come first.
	_, err := pgstore.Open(t.Context(), pgstore.Options{URL: "postgres://127.0.0.1:1/x", Schema: "public; DROP"})
	if err == nil || !strings.Contains(err.Error(), "invalid schema") {
		t.Fatalf("Open = %v, want invalid schema", err)
	}
}

// kitMigrations is how many kit migrations there are (each is applied once per schema).
func kitMigrations(t *testing.T) int {
	t.Helper()
	files, err := fs.Glob(kitmigrations.FS(), "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("kit migrations: %v %v", files, err)
	}
	return len(files)
}
