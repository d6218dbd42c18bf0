package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgstore/kitmigrations"
)

// maxSchemaInName keeps gf_tmpl_<schema>_<hash12> within PostgreSQL's 63-byte names.
const maxSchemaInName = 63 - len("gf_tmpl_") - len("_") - 12

const zeroHash = "000000000000"

// templates remembers, per template name, that this process has made sure it exists.
var templates sync.Map // name -> *templateOnce

type templateOnce struct {
	mu    sync.Mutex
	ready bool
}

// ensureTemplate returns the name of the migrated template database for opts, building it
// if no process has yet.
func ensureTemplate(ctx context.Context, admin string, opts pgstore.Options) (string, error) {
	sum, err := migrationsHash(opts.Migrations)
	if err != nil {
		return "", err
	}
	name := templateName(opts.Schema, sum)
	v, _ := templates.LoadOrStore(name, &templateOnce{})
	once := v.(*templateOnce)
	once.mu.Lock()
	defer once.mu.Unlock()
	if once.ready {
		return name, nil
	}
	if err := buildTemplate(ctx, admin, name, opts); err != nil {
		return "", err
	}
	once.ready = true
	return name, nil
}

func templateName(schema, hash string) string {
	if len(schema) > maxSchemaInName {
		schema = schema[:maxSchemaInName]
	}
	return "gf_tmpl_" + schema + "_" + hash[:12]
}

// buildTemplate creates and migrates template name unless a finished one exists. A template
// counts as finished once it is marked IS_TEMPLATE, which happens last: a build that died
// halfway is dropped and redone. Every step runs under an advisory lock per schema held on
// the admin connection, so concurrent test binaries build each template once.
func buildTemplate(ctx context.Context, admin, name string, opts pgstore.Options) error {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx)) // also releases the lock
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext($1))", "grantflow.pgtest.template:"+opts.Schema); err != nil {
		return fmt.Errorf("take template lock: %w", err)
	}

	var exists, finished bool
	err = conn.QueryRow(ctx, "SELECT true, datistemplate FROM pg_database WHERE datname = $1", name).Scan(&exists, &finished)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up %s: %w", name, err)
	}
	if finished {
		return nil
	}
	ident := pgx.Identifier{name}.Sanitize()
	if exists {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop unfinished %s: %w", name, err)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	opts.URL, err = withDatabase(admin, name)
	if err != nil {
		return err
	}
	if err := pgstore.Migrate(ctx, opts); err != nil {
		return fmt.Errorf("migrate %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" WITH IS_TEMPLATE true"); err != nil {
		return fmt.Errorf("mark %s as template: %w", name, err)
	}
	return dropStaleTemplates(ctx, conn, opts.Schema, name)
}

// dropStaleTemplates drops the schema's templates other than keep that no session uses
// (another test binary may still clone one built from older migrations).
func dropStaleTemplates(ctx context.Context, conn *pgx.Conn, schema, keep string) error {
	prefix := strings.TrimSuffix(templateName(schema, zeroHash), zeroHash[:12])
	pattern := "^" + regexp.QuoteMeta(prefix) + "[0-9a-f]{12}$"
	rows, err := conn.Query(ctx, `
		SELECT datname FROM pg_database d
		WHERE datname ~ $1 AND datname <> $2
		  AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)`, pattern, keep)
	if err != nil {
		return fmt.Errorf("list stale templates: %w", err)
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list stale templates: %w", err)
	}
	for _, name := range stale {
		ident := pgx.Identifier{name}.Sanitize()
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident+" WITH IS_TEMPLATE false"); err != nil {
			return fmt.Errorf("unmark stale template %s: %w", name, err)
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident); err != nil {
			// Someone connected since the listing: leave it. Unmarked, it will be rebuilt if
			// its migrations are ever wanted again, and dropped by a later build otherwise.
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "55006" {
				continue
			}
			return fmt.Errorf("drop stale template %s: %w", name, err)
		}
	}
	return nil
}

// migrationsHash digests the kit's migrations and the service's (names and contents).
func migrationsHash(service fs.FS) (string, error) {
	h := sha256.New()
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
