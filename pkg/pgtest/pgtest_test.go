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

// templateOf is the template a pgtestdb database was copied from (its name's prefix).
func templateOf(t *testing.T, instance string) string {
	t.Helper()
	tmpl, _, ok := strings.Cut(instance, "_inst_")
	if !ok {
		t.Fatalf("database %s is not named after a pgtestdb template", instance)
	}
	return tmpl
}

// TestEachCallGetsItsOwnMigratedDatabaseDroppedAtCleanup: a fresh, migrated database per
// test, dropped at its end even when a connection to it is still open (a killed service's).
func TestEachCallGetsItsOwnMigratedDatabaseDroppedAtCleanup(t *testing.T) {
	t.Parallel()
	opts := pgstore.Options{Schema: "pgtest_notes", Migrations: migrations("")}
	conn := admin(t)
	var names []string
	var leftOpen []*pgx.Conn
	defer func() {
		for _, c := range leftOpen {
			_ = c.Close(context.Background()) // terminated by the drop
		}
	}()
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
			c, err := pgx.Connect(context.Background(), URL(t))
			if err != nil {
				t.Fatal(err)
			}
			leftOpen = append(leftOpen, c)
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
	opts := pgstore.Options{Schema: "pgtest_shared", Migrations: migrations("")}
	names := make(chan string, 4)
	t.Run("group", func(t *testing.T) {
		for _, name := range []string{"a", "b", "c", "d"} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				db := NewDatabase(t, opts)
				if _, err := db.Pool().Exec(t.Context(), "INSERT INTO notes VALUES (1, 'x')"); err != nil {
					t.Fatal(err)
				}
				names <- currentDatabase(t, db)
			})
		}
	})
	close(names)
	templates := map[string]bool{}
	for name := range names {
		templates[templateOf(t, name)] = true
	}
	if len(templates) != 1 {
		t.Fatalf("templates = %v, want the four copies from exactly one", templates)
	}
	for tmpl := range templates {
		if _, isTemplate := database(t, admin(t), tmpl); !isTemplate {
			t.Errorf("%s is not marked as a template", tmpl)
		}
	}
}

func TestChangedMigrationsGetANewTemplate(t *testing.T) {
	t.Parallel()
	old := NewDatabase(t, pgstore.Options{Schema: "pgtest_evolve", Migrations: migrations("")})
	changed := NewDatabase(t, pgstore.Options{Schema: "pgtest_evolve", Migrations: migrations("ALTER TABLE notes ADD COLUMN tag text;")})
	if a, b := templateOf(t, currentDatabase(t, old)), templateOf(t, currentDatabase(t, changed)); a == b {
		t.Fatalf("changed migrations copied from the same template %s", a)
	}
	if _, err := changed.Pool().Exec(t.Context(), "INSERT INTO notes (id, body, tag) VALUES (1, 'x', 'y')"); err != nil {
		t.Errorf("copy of the new template lacks the new column: %v", err)
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
	var super bool
	if err := conn.QueryRow(t.Context(), "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
		t.Fatal(err)
	}
	admin := admin(t)
	var adminSuper bool
	if err := admin.QueryRow(t.Context(), "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&adminSuper); err != nil {
		t.Fatal(err)
	}
	if super != adminSuper {
		t.Errorf("URL(t) connects with superuser=%v, the server's URL with %v: want the same role", super, adminSuper)
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

func TestHashCoversSchemaNamesAndContents(t *testing.T) {
	t.Parallel()
	a, err := migrationsHash("svc", migrations(""))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := migrationsHash("svc", migrations("-- a comment changes the file"))
	renamed, _ := migrationsHash("svc", fstest.MapFS{"00002_notes.sql": migrations("")["00001_notes.sql"]})
	other, _ := migrationsHash("other", migrations(""))
	none, _ := migrationsHash("svc", nil)
	if a == b || a == renamed || a == other || a == none {
		t.Errorf("hash ignores contents, names or schema: %s %s %s %s %s", a, b, renamed, other, none)
	}
	if again, _ := migrationsHash("svc", migrations("")); again != a {
		t.Errorf("hash not stable: %s then %s", a, again)
	}
}

func TestConfigFromURL(t *testing.T) {
	t.Parallel()
	c, err := config("postgres://u:p%40ss@db.example:6543/base?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.URL(), "postgres://u:p%40ss@db.example:6543/base?sslmode=disable"; got != want {
		t.Errorf("URL() = %q, want %q", got, want)
	}
	if c.TestRole == nil || c.TestRole.Username != "u" || !c.ForceTerminateConnections {
		t.Errorf("config = %+v, want the admin's own role and forced drops", c)
	}
	if _, err := config("mysql://x"); err == nil {
		t.Error("a non-postgres URL was accepted")
	}
}

func TestPoolMarksTheTestsSessions(t *testing.T) {
	t.Parallel()
	pool := Pool(t, NewEmptyDatabase(t), "pgtest-own")
	var app string
	if err := pool.QueryRow(t.Context(), "SELECT current_setting('application_name')").Scan(&app); err != nil || app != "pgtest-own" {
		t.Errorf("application_name = %q (%v), want pgtest-own", app, err)
	}
}
