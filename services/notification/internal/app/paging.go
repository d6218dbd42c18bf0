package app

import (
	"encoding/base64"
	"strconv"

	"github.com/grantflow/grantflow/pkg/errs"
)

const (
	defaultPageSize = 50
	maxPageSize     = 500
)

// pageSize applies API.md's default and maximum.
func pageSize(n int32) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return int(n)
}

// Page tokens are opaque to clients: the base64 of the seq the previous page ended at.
func encodeToken(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("n" + strconv.FormatInt(seq, 10)))
}

func decodeToken(tok string) (int64, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil && len(raw) > 1 && raw[0] == 'n' {
		if seq, err := strconv.ParseInt(string(raw[1:]), 10, 64); err == nil && seq > 0 {
			return seq, nil
		}
	}
	return 0, errs.Invalid("page_token", "not a token this list returned")
}
