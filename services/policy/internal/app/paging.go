package app

import (
	"encoding/base64"
	"strconv"
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

// Page tokens are opaque to clients: the base64 of the list's name and the last key of the
// previous page, so that a token of one list is refused by another.
func encodeToken(list, last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "\x00" + last))
}

func decodeToken(list, tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	name, last, ok := strings.Cut(string(raw), "\x00")
	if err != nil || !ok || name != list {
		return "", errs.Invalid("page_token", "not a token this list returned")
	}
	return last, nil
}

func decodeVersionToken(policyID, tok string) (int64, error) {
	last, err := decodeToken("versions:"+policyID, tok)
	if err != nil || last == "" {
		return 0, err
	}
	n, err := strconv.ParseInt(last, 10, 64)
	if err != nil || n < 0 {
		return 0, errs.Invalid("page_token", "not a token this list returned")
	}
	return n, nil
}
