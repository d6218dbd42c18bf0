package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// walCount counts, from the write-ahead log itself, the transactions that committed a
// change to this database during a run, and which service's schema each one wrote. This
// is exact where PostgreSQL's statistics are not: pg_stat_database counts read-only
// transactions too, and transaction ids are cluster-wide (other databases on a shared
// server take them as well). It needs pg_waldump and read access to pg_wal (the bench
// runs as root or postgres on the machine that runs PostgreSQL); a temporary physical
// replication slot keeps the run's WAL from being recycled until it is read.
type walCount struct {
	Commits  int64            `json:"commits"`         // committed transactions that wrote this database
	BySchema map[string]int64 `json:"commitsBySchema"` // a transaction counts once in every schema it wrote
	Records  int64            `json:"records"`         // WAL records of this database
	Err      string           `json:"error,omitempty"` // why it could not be counted
}

type walWatch struct {
	dir, bin string
	dbOID    uint32
	start    string
}

func findWaldump() string {
	if p, err := exec.LookPath("pg_waldump"); err == nil {
		return p
	}
	m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_waldump")
	sort.Strings(m)
	if len(m) > 0 {
		return m[len(m)-1]
	}
	return ""
}

// startWAL reserves the WAL from now on (a temporary slot, gone with the connection) and
// remembers where the run starts.
func startWAL(ctx context.Context, conn *pgx.Conn) (*walWatch, error) {
	w := &walWatch{bin: findWaldump()}
	if w.bin == "" {
		return nil, fmt.Errorf("pg_waldump not found")
	}
	var dataDir string
	if err := conn.QueryRow(ctx, "SELECT current_setting('data_directory'), (SELECT oid FROM pg_database WHERE datname = current_database())").Scan(&dataDir, &w.dbOID); err != nil {
		return nil, err
	}
	w.dir = filepath.Join(dataDir, "pg_wal")
	if _, err := os.ReadDir(w.dir); err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", w.dir, err)
	}
	slot := fmt.Sprintf("gf_bench_%d", os.Getpid())
	if _, err := conn.Exec(ctx, "SELECT pg_create_physical_replication_slot($1, true, true)", slot); err != nil {
		return nil, fmt.Errorf("reserve the WAL: %w", err)
	}
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_insert_lsn()::text").Scan(&w.start); err != nil {
		return nil, err
	}
	return w, nil
}

var (
	walTx  = regexp.MustCompile(`\btx:\s+(\d+),`)
	walRel = regexp.MustCompile(`rel \d+/(\d+)/(\d+)`)
)

// count reads the WAL from the start to now.
func (w *walWatch) count(ctx context.Context, conn *pgx.Conn) walCount {
	out := walCount{BySchema: map[string]int64{}}
	var end string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_flush_lsn()::text").Scan(&end); err != nil {
		out.Err = err.Error()
		return out
	}
	// relfilenode -> schema (a TOAST table counts for its owner's schema).
	schemaOf := map[uint32]string{}
	rows, err := conn.Query(ctx, `
		SELECT c.relfilenode::int8, n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relfilenode <> 0
		UNION ALL
		SELECT t.relfilenode::int8, n.nspname FROM pg_class c JOIN pg_class t ON t.oid = c.reltoastrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.relfilenode <> 0`)
	if err != nil {
		out.Err = err.Error()
		return out
	}
	for rows.Next() {
		var node int64
		var s string
		if err := rows.Scan(&node, &s); err != nil {
			rows.Close()
			out.Err = err.Error()
			return out
		}
		if !strings.HasPrefix(s, "pg_toast") {
			schemaOf[uint32(node)] = s
		}
	}
	rows.Close()
	cmd := exec.CommandContext(ctx, w.bin, "-p", w.dir, "-s", w.start, "-e", end)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		out.Err = err.Error()
		return out
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		out.Err = err.Error()
		return out
	}
	wrote := map[uint64]map[string]bool{} // xid -> schemas written
	db := strconv.FormatUint(uint64(w.dbOID), 10)
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		m := walTx.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		xid, _ := strconv.ParseUint(m[1], 10, 64)
		if xid == 0 {
			continue
		}
		if strings.HasPrefix(line, "rmgr: Transaction") {
			if strings.Contains(line, "desc: COMMIT") {
				if s, ok := wrote[xid]; ok {
					out.Commits++
					for schema := range s {
						out.BySchema[schema]++
					}
				}
			}
			delete(wrote, xid)
			continue
		}
		for _, r := range walRel.FindAllStringSubmatch(line, -1) {
			if r[1] != db {
				continue
			}
			out.Records++
			node, _ := strconv.ParseUint(r[2], 10, 32)
			schema, ok := schemaOf[uint32(node)]
			if !ok {
				schema = "other"
			}
			s := wrote[xid]
			if s == nil {
				s = map[string]bool{}
				wrote[xid] = s
			}
			s[schema] = true
		}
	}
	if err := cmd.Wait(); err != nil && out.Commits == 0 {
		out.Err = strings.TrimSpace(err.Error() + ": " + stderr.String())
	}
	return out
}
