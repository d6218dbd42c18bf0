// Package paging is how every list call pages (AIP-158): the page size a request asks for,
// and the opaque page token that carries where the previous page ended.
//
// A page token is the base64 (URL alphabet, unpadded) of the list's name and the last key of
// the previous page, NUL-separated: a token of one list is refused by another, and a token is
// refused rather than misread when it was not made here. Clients must treat it as opaque.
package paging

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/grantflow/grantflow/pkg/errs"
)

const (
	// DefaultSize is the page size of a request that asks for none (page_size 0).
	DefaultSize = 50
	// MaxSize is the largest page; a larger page_size is clamped to it (AIP-158).
	MaxSize = 500
)

// Size is the page size to serve for a request's page_size: DefaultSize for 0, MaxSize for
// anything larger, INVALID_ARGUMENT naming page_size for a negative one.
func Size(n int32) (int, error) {
	switch {
	case n < 0:
		return 0, errs.Invalid("page_size", "must not be negative")
	case n == 0:
		return DefaultSize, nil
	case n > MaxSize:
		return MaxSize, nil
	}
	return int(n), nil
}

// errToken is what a token this list did not make gets.
func errToken() error { return errs.Invalid("page_token", "not a token this list returned") }

// Encode is the token of list whose previous page ended at key (one or more parts).
func Encode(list string, key ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + strings.Join(key, "\x00")))
}

// Decode returns the n key parts of tok, a token of list; n empty parts for "" (the first
// page). A token of another list or of another shape is INVALID_ARGUMENT naming page_token.
func Decode(list, tok string, n int) ([]string, error) {
	if tok == "" {
		return make([]string, n), nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, errToken()
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != n+1 || parts[0] != list {
		return nil, errToken()
	}
	return parts[1:], nil
}

// DecodeOne is Decode of a one-part key.
func DecodeOne(list, tok string) (string, error) {
	parts, err := Decode(list, tok, 1)
	if err != nil {
		return "", err
	}
	return parts[0], nil
}

// EncodeInt is the token of list whose previous page ended at the number n.
func EncodeInt(list string, n int64) string { return Encode(list, strconv.FormatInt(n, 10)) }

// DecodeInt returns the number of a token EncodeInt made for list; 0 for "".
func DecodeInt(list, tok string) (int64, error) {
	s, err := DecodeOne(list, tok)
	if err != nil || s == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, errToken()
	}
	return n, nil
}

// Trim cuts a list fetched with one extra item (size+1) to size, and returns the token of the
// next page ("" when this was the last), made from the last kept item's key.
func Trim[T any](items []T, size int, list string, key func(T) []string) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, Encode(list, key(items[size-1])...)
}

// List serves one page of the list named list (the name its tokens carry): it reads the page
// token (a key of parts parts; empty parts on the first page), then the page size, fetches
// n items after that key (n is one more than the page: the extra one tells whether another
// page follows) and trims them (see Trim). A bad token or size is INVALID_ARGUMENT naming
// page_token or page_size, the token's first.
func List[T any](list, token string, parts int, pageSize int32, fetch func(after []string, n int) ([]T, error), key func(T) []string) ([]T, string, error) {
	after, err := Decode(list, token, parts)
	if err != nil {
		return nil, "", err
	}
	size, err := Size(pageSize)
	if err != nil {
		return nil, "", err
	}
	items, err := fetch(after, size+1)
	if err != nil {
		return nil, "", err
	}
	items, next := Trim(items, size, list, key)
	return items, next, nil
}
