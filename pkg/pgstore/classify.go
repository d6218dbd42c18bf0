package pgstore

import (
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/puddle/v2"

	"github.com/grantflow/grantflow/pkg/errs"
)

func init() {
	// errs knows no database: it learns from here which errors mean "the database is away",
	// so that ToStatus answers UNAVAILABLE (retry) for them, never INTERNAL.
	errs.RegisterStoreUnavailable(Unavailable)
}

// SQLSTATE codes the kit acts on.
const (
	CodeUniqueViolation      = "23505"
	CodeSerializationFailure = "40001"
	CodeDeadlockDetected     = "40P01"
)

// Code returns the SQLSTATE of the PostgreSQL error in err's chain, "" if there is none.
func Code(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// Retryable reports whether the transaction lost a conflict (serialization failure or
// deadlock) and may succeed if run again.
func Retryable(err error) bool {
	code := Code(err)
	return code == CodeSerializationFailure || code == CodeDeadlockDetected
}

// Unavailable reports whether err says the database could not be reached or dropped the
// connection (a restart, a failover, a terminated backend, too many connections), as opposed
// to refusing the statement: the call may succeed if tried again. It decides by SQLSTATE class
// and by pgx's error types, never by message text.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch code := pgErr.Code; {
		case strings.HasPrefix(code, "08"): // class 08: connection exception
			return true
		case code == "57P01", code == "57P02", code == "57P03": // admin/crash shutdown, cannot connect now
			return true
		case code == "53300": // too many connections
			return true
		}
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case pgconn.SafeToRetry(err), pgconn.Timeout(err):
		// SafeToRetry: nothing was sent (among others, a connection found closed, "conn
		// closed"); Timeout: a network timeout, not the caller's own deadline.
		return true
	case errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, puddle.ErrClosedPool), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	return false
}
