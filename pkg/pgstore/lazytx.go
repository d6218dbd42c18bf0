package pgstore

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// lazyTx is a transaction of the pool whose BEGIN is sent with its first statement, in one
// batch (pgx.Batch.BeginTx): one round trip less per transaction. Until that statement it
// holds no connection; a transaction that sends nothing commits and rolls back for free.
// From its first statement on it is the pool's own transaction (tx).
type lazyTx struct {
	pool *pgxpool.Pool
	opts pgx.TxOptions
	tx   pgx.Tx // nil until the first statement
}

var _ pgx.Tx = (*lazyTx)(nil)

// errNoSavepoints: nothing in the kit nests transactions.
var errNoSavepoints = errors.New("pgstore: nested transactions (savepoints) are not supported")

// begin begins the transaction on its own (for what a batch cannot carry).
func (t *lazyTx) begin(ctx context.Context) error {
	if t.tx != nil {
		return nil
	}
	tx, err := t.pool.BeginTx(ctx, t.opts)
	if err != nil {
		return err
	}
	t.tx = tx
	return nil
}

// batchable reports whether a first statement with args can go in a batch with the BEGIN:
// a batch takes no query option but a QueryRewriter (such as pgx.NamedArgs).
func batchable(args []any) bool {
	if len(args) == 0 {
		return true
	}
	switch args[0].(type) {
	case pgx.QueryExecMode, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
		return false
	}
	return true
}

// first sends the BEGIN and the first statement; the BEGIN's result is read. The results
// must be closed before the transaction is used again.
func (t *lazyTx) first(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.BeginTx(t.opts)
	b.Queue(sql, args...)
	br := t.pool.SendBatch(ctx, b)
	t.tx = br.Tx() // closed if the batch fails before the BEGIN took
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, err
	}
	return br, nil
}

func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.tx == nil && batchable(args) {
		br, err := t.first(ctx, sql, args)
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		tag, err := br.Exec()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return tag, err
	}
	if err := t.begin(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return t.tx.Exec(ctx, sql, args...)
}

func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.tx == nil && batchable(args) {
		br, err := t.first(ctx, sql, args)
		if err != nil {
			return nil, err
		}
		rows, err := br.Query()
		if err != nil {
			if rows != nil {
				rows.Close()
			}
			_ = br.Close()
			return nil, err
		}
		return &batchRows{Rows: rows, br: br}, nil
	}
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	return t.tx.Query(ctx, sql, args...)
}

func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.tx == nil && batchable(args) {
		rows, err := t.Query(ctx, sql, args...)
		return firstRow{rows: rows, err: err}
	}
	if err := t.begin(ctx); err != nil {
		return firstRow{err: err}
	}
	return t.tx.QueryRow(ctx, sql, args...)
}

func (t *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.begin(ctx); err != nil {
		return pgx.FailedBatchResults(b, err)
	}
	return t.tx.SendBatch(ctx, b)
}

func (t *lazyTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.begin(ctx); err != nil {
		return 0, err
	}
	return t.tx.CopyFrom(ctx, table, columns, src)
}

func (t *lazyTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.begin(ctx); err != nil {
		return nil, err
	}
	return t.tx.Prepare(ctx, name, sql)
}

// Commit commits what was sent (nothing sent: nothing to do).
func (t *lazyTx) Commit(ctx context.Context) error {
	if t.tx == nil {
		return nil
	}
	return t.tx.Commit(ctx)
}

// Rollback rolls back what was sent (nothing sent: nothing to do).
func (t *lazyTx) Rollback(ctx context.Context) error {
	if t.tx == nil {
		return nil
	}
	return t.tx.Rollback(ctx)
}

func (t *lazyTx) Begin(context.Context) (pgx.Tx, error) { return nil, errNoSavepoints }

func (t *lazyTx) LargeObjects() pgx.LargeObjects {
	if t.tx == nil {
		return pgx.LargeObjects{}
	}
	return t.tx.LargeObjects()
}

// Conn is the transaction's connection once a statement was sent, else nil.
func (t *lazyTx) Conn() *pgx.Conn {
	if t.tx == nil {
		return nil
	}
	return t.tx.Conn()
}

// batchRows are the rows of a transaction's first statement: closing them closes the batch
// that carried it, whose error Err reports.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.err = r.br.Close()
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is QueryRow's answer from rows (pgx's own row type is not exported).
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		r.rows.Close()
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
