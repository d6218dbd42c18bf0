package pgstore

import (
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Fields is the pgx.RowToFunc (for One and All) that scans a row's columns, in order, into
// the fields of a T that fields points at. Timestamps come back in UTC (see Open).
func Fields[T any](fields func(*T) []any) pgx.RowToFunc[T] {
	return func(row pgx.CollectableRow) (T, error) {
		var v T
		err := row.Scan(fields(&v)...)
		return v, err
	}
}

// ZeroIfNull is a scan target for a nullable timestamptz column: t gets the zero time for
// NULL, else the time in UTC. (TimeOf does the same for a *time.Time already scanned.)
func ZeroIfNull(t *time.Time) pgtype.TimestamptzScanner { return (*zeroIfNull)(t) }

type zeroIfNull time.Time

func (z *zeroIfNull) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid {
		*z = zeroIfNull{}
		return nil
	}
	if v.InfinityModifier != pgtype.Finite {
		return errors.New("pgstore: cannot scan an infinite timestamptz into a time.Time")
	}
	*z = zeroIfNull(v.Time.UTC())
	return nil
}

// utcTimestamps makes conn's reads of timestamptz answer in UTC rather than in the process's
// local time zone: a store's rows compare equal to the memory engine's, which keep UTC.
func utcTimestamps(conn *pgx.Conn) {
	conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
}
