package pgtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/testenv"
)

func migrations(extra string) fstest.MapFS {
	return fstest.MapFS{"00001_notes.sql": {Data: []byte(`-- +goose Up
CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);
` + extra + `
-- +goose Down
DROP TABLE notes;
`)}}
}

func admin(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// database returns whether the named database exists and is marked as a template.
func database(t *testing.T, conn *pgx.Conn, name string) (exists, isTemplate bool) {
	t.Helper()
	err := conn.QueryRow(context.Background(),
		"SELECT true, datistemplate FROM pg_database WHERE datname = $1", name).Scan(&exists, &isTemplate)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
	return exists, isTemplate
}

func currentDatabase(t *testing.T, db *pgstore.DB) string {
	t.Helper()
	var name string
	if err := db.Pool().QueryRow(t.Context(), "SELECT current_database()").Scan(&name); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestEachCallGetsItsOwnMigratedDatabaseDroppedAtCleanup(t *testing.T) {
	t.Parallel()
	opts := pgstore.Options{Schema: "pgtest_notes", Migrations: migrations("")}
	conn := admin(t)
	var names []string
	for _, body := range []string{"first", "second"} {
		t.Run(body, func(t *testing.T) {
			db := NewDatabase(t, opts)
			names = append(names, currentDatabase(t, db))
			if _, err := db.Pool().Exec(t.Context(), "INSERT INTO notes VALUES (1, $1)", body); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := db.Pool().QueryRow(t.Context(), "SELECT count(*) FROM notes").Scan(&n); err != nil || n != 1 {
				t.Errorf("notes rows = %d (%v), want only this test's own row", n, err)
			}
			if exists, _ := database(t, conn, names[len(names)-1]); !exists {
				t.Errorf("database %s not in pg_database", names[len(names)-1])
			}
		})
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Fatalf("databases = %v, want two different ones", names)
	}
	for _, name := range names {
		if exists, _ := database(t, conn, name); exists {
			t.Errorf("database %s still exists after its test ended", name)
		}
	}
}

func TestParallelTestsShareOneTemplate(t *testing.T) {
	t.Parallel()
	opts := pgstore.Options{Schema: "pgtest_notes", Migrations: migrations("")}
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b", "c", "d"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				db := NewDatabase(t, opts)
				if _, err := db.Pool().Exec(t.Context(), "INSERT INTO notes VALUES (1, 'x')"); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
	var n int
	err := admin(t).QueryRow(t.Context(),
		"SELECT count(*) FROM pg_database WHERE datname ~ '^gf_tmpl_pgtest_notes_[0-9a-f]{12}$'").Scan(&n)
	if err != nil || n != 1 {
		t.Errorf("templates for schema pgtest_notes = %d (%v), want exactly 1", n, err)
	}
}

func TestChangedMigrationsGetANewTemplateAndTheOldOneIsDropped(t *testing.T) {
	t.Parallel()
	conn := admin(t)
	old := pgstore.Options{Schema: "pgtest_evolve", Migrations: migrations("")}
	changed := pgstore.Options{Schema: "pgtest_evolve", Migrations: migrations("ALTER TABLE notes ADD COLUMN tag text;")}

	oldTemplate, newTemplate := templateFor(t, old), templateFor(t, changed)
	if newTemplate == oldTemplate {
		t.Fatalf("changed migrations map to the same template %s", oldTemplate)
	}

	NewDatabase(t, old)
	if _, isTemplate := database(t, conn, oldTemplate); !isTemplate {
		t.Fatalf("%s was not built", oldTemplate)
	}
	db := NewDatabase(t, changed)
	if _, err := db.Pool().Exec(t.Context(), "INSERT INTO notes (id, body, tag) VALUES (1, 'x', 'y')"); err != nil {
		t.Errorf("copy of the new template lacks the new column: %v", err)
	}
	if exists, _ := database(t, conn, oldTemplate); exists {
		t.Errorf("stale template %s was not dropped", oldTemplate)
	}
	if _, isTemplate := database(t, conn, newTemplate); !isTemplate {
		t.Errorf("%s is not marked as a template", newTemplate)
	}
}

func TestUnfinishedTemplateIsRebuilt(t *testing.T) {
	t.Parallel()
	conn := admin(t)
	opts := pgstore.Options{Schema: "pgtest_rebuild", Migrations: migrations("")}

	// Replace the template with an empty database that is not marked finished, as a build
	// killed halfway leaves it, and make this process forget it built the template.
	name := templateFor(t, opts)
	for _, q := range []string{
		"ALTER DATABASE " + name + " WITH IS_TEMPLATE false",
		"DROP DATABASE " + name,
	} {
		_, _ = conn.Exec(t.Context(), q) // absent on a fresh server
	}
	if _, err := conn.Exec(t.Context(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	templates.Delete(name)

	db := NewDatabase(t, opts)
	if _, err := db.Pool().Exec(t.Context(), "INSERT INTO notes VALUES (1, 'x')"); err != nil {
		t.Fatalf("copy of the rebuilt template is not migrated: %v", err)
	}
	if _, isTemplate := database(t, conn, name); !isTemplate {
		t.Errorf("%s was not rebuilt into a finished template", name)
	}
}

func TestURLOpensTheTestsOwnDatabase(t *testing.T) {
	t.Parallel()
	db := NewDatabase(t, pgstore.Options{Schema: "pgtest_notes", Migrations: migrations("")})
	if _, err := db.Pool().Exec(t.Context(), "INSERT INTO notes VALUES (7, 'mine')"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var body string
	if err := conn.QueryRow(t.Context(), "SELECT body FROM pgtest_notes.notes WHERE id = 7").Scan(&body); err != nil || body != "mine" {
		t.Errorf("through URL(t): body=%q err=%v", body, err)
	}
}

func TestNewEmptyDatabaseIsEmpty(t *testing.T) {
	t.Parallel()
	conn, err := pgx.Connect(t.Context(), NewEmptyDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(),
		"SELECT count(*) FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema')").Scan(&n); err != nil || n != 0 {
		t.Errorf("user schemas = %d (%v), want none", n, err)
	}
}

// templateFor is the template name NewDatabase must use for opts.
func templateFor(t *testing.T, opts pgstore.Options) string {
	t.Helper()
	sum, err := migrationsHash(opts.Migrations)
	if err != nil {
		t.Fatal(err)
	}
	return templateName(opts.Schema, sum)
}

func TestTemplateNameFitsAndHashCoversContents(t *testing.T) {
	t.Parallel()
	a, err := migrationsHash(migrations(""))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := migrationsHash(migrations("-- a comment changes the file"))
	renamed, _ := migrationsHash(fstest.MapFS{"00002_notes.sql": migrations("")["00001_notes.sql"]})
	none, _ := migrationsHash(nil)
	if a == b || a == renamed || a == none {
		t.Errorf("hash ignores contents or names: %s %s %s %s", a, b, renamed, none)
	}
	if again, _ := migrationsHash(migrations("")); again != a {
		t.Errorf("hash not stable: %s then %s", a, again)
	}
	long := templateName(strings.Repeat("s", 63), a)
	if len(long) > 63 || !strings.HasSuffix(long, "_"+a[:12]) {
		t.Errorf("template name %q (%d bytes) exceeds 63 bytes or lost its hash", long, len(long))
	}
	if got := templateName("svc", a); got != "gf_tmpl_svc_"+a[:12] {
		t.Errorf("templateName = %q", got)
	}
}

func TestTemplateDroppedBehindThisProcessIsRebuilt(t *testing.T) {
	t.Parallel()
	conn := admin(t)
	opts := pgstore.Options{Schema: "pgtest_regone", Migrations: migrations("")}
	NewDatabase(t, opts)

	// Another binary, building for other migrations of the schema, drops this template.
	name := templateFor(t, opts)
	for _, q := range []string{"ALTER DATABASE " + name + " WITH IS_TEMPLATE false", "DROP DATABASE " + name} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatal(err)
		}
	}

	db := NewDatabase(t, opts)
	if _, err := db.Pool().Exec(t.Context(), "INSERT INTO notes VALUES (1, 'x')"); err != nil {
		t.Fatalf("copy of the rebuilt template is not migrated: %v", err)
	}
}
