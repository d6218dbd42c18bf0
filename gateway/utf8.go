package gateway

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	"github.com/grantflow/grantflow/pkg/errs"
)

// validUTF8 refuses, before anything reaches a service, a call whose path parameters,
// query or JSON body hold invalid UTF-8: protobuf strings must be UTF-8, and grpc-gateway
// would otherwise fail to marshal the request into its gRPC message and answer 500
// ("string field contains invalid UTF-8"). The answer is INVALID_ARGUMENT (400) with a
// BadRequest naming the field: the path parameter's proto field, the query parameter, or
// the body's JSON path.
func validUTF8(fail func(http.ResponseWriter, *http.Request, error)) runtime.Middleware {
	return func(next runtime.HandlerFunc) runtime.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
			if field, ok := invalidUTF8Field(r, params); !ok {
				fail(w, r, errs.ToStatus(r.Context(), nil, errs.Invalid(field, "must be valid UTF-8")).Err())
				return
			}
			next(w, r, params)
		}
	}
}

// invalidUTF8Field checks params, the query and the body (which it reads and puts back),
// and names the first field with invalid UTF-8 (ok false).
func invalidUTF8Field(r *http.Request, params map[string]string) (field string, ok bool) {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !utf8.ValidString(params[k]) {
			return printable(k), false
		}
	}
	if raw := r.URL.RawQuery; raw != "" {
		q := r.URL.Query()
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !utf8.ValidString(k) {
				return printable(k), false
			}
			for _, v := range q[k] {
				if !utf8.ValidString(v) {
					return k, false
				}
			}
		}
	}
	if r.Body == nil || r.Body == http.NoBody {
		return "", true
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		// Too large, or cut off: the decoder meets the same error and answers it.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		return "", true
	}
	if utf8.Valid(body) {
		return "", true
	}
	return jsonFieldAt(body, firstInvalidUTF8(body)), false
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// firstInvalidUTF8 is the offset of the first byte of b that is not valid UTF-8.
func firstInvalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}

// jsonFieldAt names the field of a JSON document whose key or value holds offset, as a
// path ("workflow.reviewSteps[0].name"); "body" when the offset is outside any field.
func jsonFieldAt(doc []byte, offset int) string {
	type frame struct {
		array     bool
		index     int
		key       string
		expectKey bool // in an object, the next string token is a key
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.array {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
				continue
			}
			if f.key == "" {
				break
			}
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(f.key)
		}
		if b.Len() == 0 {
			return "body"
		}
		return printable(b.String())
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		end := int(dec.InputOffset())
		top := len(stack) - 1
		if top >= 0 && !stack[top].array && stack[top].expectKey {
			k, _ := tok.(string) // a key, or the object's closing brace
			if tok != json.Delim('}') {
				stack[top].key, stack[top].expectKey = k, false
				if end > offset {
					return path()
				}
				continue
			}
		}
		if end > offset {
			return path()
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{expectKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{array: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		// A value ended: its container moves on.
		if t := len(stack) - 1; t >= 0 {
			if stack[t].array {
				stack[t].index++
			} else {
				stack[t].key, stack[t].expectKey = "", true
			}
		}
	}
}

// printable makes a field name safe to send back (a BadRequest is UTF-8 itself).
func printable(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// printableASCII reports whether s may travel as gRPC metadata (X-Request-Id does).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
