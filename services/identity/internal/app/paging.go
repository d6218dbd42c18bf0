package app

import (
	"encoding/base64"
	"strings"

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

// Page tokens are opaque to clients: the base64 of the last key of the previous page.
func encodeToken(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

func decodeToken(tok string, n int) ([]string, error) {
	if tok == "" {
		return make([]string, n), nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != n {
		return nil, errs.Invalid("page_token", "not a token this list returned")
	}
	return parts, nil
}

// trim cuts a list fetched with one extra item (n+1) to n, and returns the token of the
// next page ("" when this was the last), made from the last kept item's key.
func trim[T any](items []T, n int, key func(T) []string) ([]T, string) {
	if len(items) <= n {
		return items, ""
	}
	items = items[:n]
	return items, encodeToken(key(items[n-1])...)
}
