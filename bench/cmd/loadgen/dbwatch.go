package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// dbWatch reads PostgreSQL's counters around a run: how many transactions committed, how
// many of them wrote (took a transaction id), and how many rows each service's schema
// wrote, so that a run reports its database cost per lifecycle.
type dbWatch struct {
	conn   *pgx.Conn
	before dbCounters
	wal    *walWatch
	walErr error
}

type dbCounters struct {
	at        time.Time
	commits   int64 // xact_commit of this database (read-only transactions included)
	rollbacks int64
	others    map[string]int64 // xact_commit of every other database (other work on the server)
	nextXID   int64            // cluster-wide: transactions that wrote anything take one
	walSyncs  int64
	walBytes  int64
	rows      map[string]int64 // schema -> rows inserted + updated + deleted
	inserts   map[string]int64
}

// dbDelta is a run's database cost.
type dbDelta struct {
	Lifecycles int `json:"lifecycles"`
	// WriteTx: transactions that took a transaction id, cluster-wide (so any other writer
	// on the server during the run is in it: OtherDBCommits says how busy the rest was).
	WriteTx        int64              `json:"writeTransactions"`
	Commits        int64              `json:"commits"` // this database, read-only ones included
	Rollbacks      int64              `json:"rollbacks"`
	OtherDBCommits int64              `json:"otherDatabasesCommits"`
	WALSyncs       int64              `json:"walSyncs"`
	WALBytes       int64              `json:"walBytes"`
	Rows           map[string]int64   `json:"rowsWrittenBySchema"`
	Inserts        map[string]int64   `json:"rowsInsertedBySchema"`
	PerLifecycle   map[string]float64 `json:"perLifecycle"`
	Seconds        float64            `json:"seconds"`
	// WAL: the write transactions of this database, counted from the WAL (exact).
	WAL *walCount `json:"wal,omitempty"`
}

func openDBWatch(url string) (*dbWatch, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", url, err)
	}
	return &dbWatch{conn: conn}, nil
}

func (w *dbWatch) Close() { _ = w.conn.Close(context.Background()) }

// outboxes returns the schemas that hold an outbox table.
func (w *dbWatch) outboxes(ctx context.Context) ([]string, error) {
	rows, err := w.conn.Query(ctx, "SELECT table_schema FROM information_schema.tables WHERE table_name = 'outbox' ORDER BY 1")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// backlog counts the events waiting in every service's outbox.
func (w *dbWatch) backlog(ctx context.Context) (map[string]int64, int64, error) {
	schemas, err := w.outboxes(ctx)
	if err != nil {
		return nil, 0, err
	}
	out, total := map[string]int64{}, int64(0)
	for _, s := range schemas {
		var n int64
		if err := w.conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{s, "outbox"}.Sanitize()).Scan(&n); err != nil {
			return nil, 0, err
		}
		out[s], total = n, total+n
	}
	return out, total, nil
}

// quiesce waits until every outbox is empty (the asynchronous work of the run is done),
// then a little longer, so that PostgreSQL's statistics include it.
func (w *dbWatch) quiesce(limit time.Duration) error {
	ctx := context.Background()
	deadline := time.Now().Add(limit)
	for {
		by, total, err := w.backlog(ctx)
		if err != nil {
			return err
		}
		if total == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("outboxes still hold %d events after %s: %v", total, limit, by)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Backends report their statistics at most once a second (PostgreSQL 15).
	time.Sleep(1500 * time.Millisecond)
	return nil
}

func (w *dbWatch) read() (dbCounters, error) {
	ctx := context.Background()
	c := dbCounters{at: time.Now(), rows: map[string]int64{}, inserts: map[string]int64{}, others: map[string]int64{}}
	if _, err := w.conn.Exec(ctx, "SELECT pg_stat_clear_snapshot()"); err != nil {
		return c, err
	}
	err := w.conn.QueryRow(ctx, `
		SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
		       (SELECT xact_rollback FROM pg_stat_database WHERE datname = current_database()),
		       pg_snapshot_xmax(pg_current_snapshot())::text::int8,
		       (SELECT wal_sync FROM pg_stat_wal), (SELECT wal_bytes::int8 FROM pg_stat_wal)`).
		Scan(&c.commits, &c.rollbacks, &c.nextXID, &c.walSyncs, &c.walBytes)
	if err != nil {
		return c, err
	}
	others, err := w.conn.Query(ctx, "SELECT coalesce(datname, ''), xact_commit FROM pg_stat_database WHERE datname IS DISTINCT FROM current_database()")
	if err != nil {
		return c, err
	}
	for others.Next() {
		var name string
		var n int64
		if err := others.Scan(&name, &n); err != nil {
			others.Close()
			return c, err
		}
		c.others[name] = n
	}
	others.Close()
	rows, err := w.conn.Query(ctx, `
		SELECT schemaname, sum(n_tup_ins + n_tup_upd + n_tup_del)::int8, sum(n_tup_ins)::int8
		FROM pg_stat_user_tables GROUP BY 1`)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		var n, ins int64
		if err := rows.Scan(&s, &n, &ins); err != nil {
			return c, err
		}
		c.rows[s], c.inserts[s] = n, ins
	}
	return c, rows.Err()
}

func (w *dbWatch) snapshot() (err error) {
	if w.wal == nil && w.walErr == nil {
		w.wal, w.walErr = startWAL(context.Background(), w.conn)
		if w.walErr != nil {
			fmt.Fprintf(os.Stderr, "warning: write transactions will not be counted from the WAL: %v\n", w.walErr)
		}
	}
	w.before, err = w.read()
	return err
}

func (w *dbWatch) delta(lifecycles int) (*dbDelta, error) {
	after, err := w.read()
	if err != nil {
		return nil, err
	}
	b := w.before
	d := &dbDelta{
		Lifecycles: lifecycles, WriteTx: after.nextXID - b.nextXID, Commits: after.commits - b.commits,
		Rollbacks: after.rollbacks - b.rollbacks,
		WALSyncs:  after.walSyncs - b.walSyncs, WALBytes: after.walBytes - b.walBytes,
		Rows: map[string]int64{}, Inserts: map[string]int64{}, PerLifecycle: map[string]float64{},
		Seconds: after.at.Sub(b.at).Seconds(),
	}
	for name, n := range after.others { // databases created during the run count from 0; dropped ones are gone
		d.OtherDBCommits += n - b.others[name]
	}
	if w.wal != nil {
		wc := w.wal.count(context.Background(), w.conn)
		d.WAL = &wc
	}
	for s, n := range after.rows {
		if v := n - b.rows[s]; v != 0 {
			d.Rows[s] = v
		}
		if v := after.inserts[s] - b.inserts[s]; v != 0 {
			d.Inserts[s] = v
		}
	}
	if lifecycles > 0 {
		n := float64(lifecycles)
		d.PerLifecycle["writeTransactions"] = float64(d.WriteTx) / n
		d.PerLifecycle["commits"] = float64(d.Commits) / n
		d.PerLifecycle["walSyncs"] = float64(d.WALSyncs) / n
		d.PerLifecycle["walBytes"] = float64(d.WALBytes) / n
		if d.WAL != nil && d.WAL.Err == "" {
			d.PerLifecycle["writeCommits"] = float64(d.WAL.Commits) / n
			for s, v := range d.WAL.BySchema {
				d.PerLifecycle["writeCommits."+s] = float64(v) / n
			}
		}
		for s, v := range d.Rows {
			d.PerLifecycle["rows."+s] = float64(v) / n
		}
	}
	return d, nil
}

func (d *dbDelta) print(w io.Writer) {
	fmt.Fprintf(w, "  database, whole run (%d lifecycles, %.0f s, every outbox drained):\n", d.Lifecycles, d.Seconds)
	if d.Lifecycles == 0 {
		return
	}
	n := float64(d.Lifecycles)
	if d.WAL != nil {
		if d.WAL.Err != "" {
			fmt.Fprintf(w, "    write commits from the WAL: not counted (%s)\n", d.WAL.Err)
		} else {
			var parts []string
			for _, s := range sortedKeys(d.WAL.BySchema) {
				parts = append(parts, fmt.Sprintf("%s %.2f", s, float64(d.WAL.BySchema[s])/n))
			}
			fmt.Fprintf(w, "    write commits of this database (from the WAL): %d = %.2f per lifecycle: %s\n", d.WAL.Commits, float64(d.WAL.Commits)/n, strings.Join(parts, ", "))
		}
	}
	fmt.Fprintf(w, "    write transactions (cluster-wide xids): %d = %.1f per lifecycle (other databases committed %d meanwhile)\n",
		d.WriteTx, float64(d.WriteTx)/n, d.OtherDBCommits)
	fmt.Fprintf(w, "    commits of this database, read-only included: %d = %.1f per lifecycle; rollbacks %d\n", d.Commits, float64(d.Commits)/n, d.Rollbacks)
	fmt.Fprintf(w, "    WAL: %.1f KiB and %.2f syncs per lifecycle (group commit shares syncs)\n", float64(d.WALBytes)/n/1024, float64(d.WALSyncs)/n)
	var parts []string
	for _, s := range sortedKeys(d.Rows) {
		parts = append(parts, fmt.Sprintf("%s %.1f (%.1f inserted)", s, float64(d.Rows[s])/n, float64(d.Inserts[s])/n))
	}
	fmt.Fprintf(w, "    rows written per lifecycle: %s\n", strings.Join(parts, ", "))
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// pgProcs lists the server processes of a run: the backends connected to this database
// (this connection's own left out) and the background processes.
func (w *dbWatch) pgProcs() (ours, background []int, err error) {
	rows, err := w.conn.Query(context.Background(), `
		SELECT pid, datname IS NOT DISTINCT FROM current_database() AND backend_type = 'client backend'
		FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND (backend_type <> 'client backend' OR datname = current_database())`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		var mine bool
		if err := rows.Scan(&pid, &mine); err != nil {
			return nil, nil, err
		}
		if mine {
			ours = append(ours, pid)
		} else {
			background = append(background, pid)
		}
	}
	return ours, background, rows.Err()
}
