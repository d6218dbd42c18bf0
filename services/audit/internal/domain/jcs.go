package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// CanonicalJSON returns the RFC 8785 (JSON Canonicalization Scheme) form of raw, which must
// be one JSON object (I-JSON: valid UTF-8, no duplicate member names, numbers that fit an
// IEEE-754 double). Empty input and the literal null are "no data" and return nil.
//
// The canonical form has no insignificant whitespace; members sorted by the UTF-16 code
// units of their names; strings with only the escapes \" \\ \b \f \n \r \t and \u00xx
// (lowercase) for the other control characters, everything else as literal UTF-8; numbers
// as ECMAScript's Number.prototype.toString writes the double they denote (-0 as 0).
func CanonicalJSON(raw []byte) ([]byte, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	if !utf8.Valid(raw) {
		return nil, errors.New("not valid UTF-8")
	}
	if trimmed[0] != '{' {
		return nil, errors.New("not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	out, err := canonValue(dec, nil)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return out, nil
}

func canonValue(dec *json.Decoder, out []byte) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return canonObject(dec, out)
		case '[':
			return canonArray(dec, out)
		}
		return nil, fmt.Errorf("bad JSON: unexpected %q", v)
	case string:
		return appendJCSString(out, v), nil
	case json.Number:
		return appendJCSNumber(out, v)
	case bool:
		return strconv.AppendBool(out, v), nil
	case nil:
		return append(out, "null"...), nil
	}
	return nil, fmt.Errorf("bad JSON: unexpected token %v", tok)
}

type member struct {
	name  string
	key   []uint16
	value []byte
}

func canonObject(dec *json.Decoder, out []byte) ([]byte, error) {
	var members []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("bad JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("bad JSON: member name is not a string")
		}
		if seen[name] {
			return nil, fmt.Errorf("duplicate member %q", name)
		}
		seen[name] = true
		value, err := canonValue(dec, nil)
		if err != nil {
			return nil, err
		}
		members = append(members, member{name: name, key: utf16.Encode([]rune(name)), value: value})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	slices.SortFunc(members, func(a, b member) int { return slices.Compare(a.key, b.key) })
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		out = appendJCSString(out, m.name)
		out = append(out, ':')
		out = append(out, m.value...)
	}
	return append(out, '}'), nil
}

func canonArray(dec *json.Decoder, out []byte) ([]byte, error) {
	out = append(out, '[')
	for i := 0; dec.More(); i++ {
		if i > 0 {
			out = append(out, ',')
		}
		var err error
		if out, err = canonValue(dec, out); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, fmt.Errorf("bad JSON: %w", err)
	}
	return append(out, ']'), nil
}

const hexDigits = "0123456789abcdef"

func appendJCSString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			out = append(out, '\\', c)
		case c == '\b':
			out = append(out, '\\', 'b')
		case c == '\f':
			out = append(out, '\\', 'f')
		case c == '\n':
			out = append(out, '\\', 'n')
		case c == '\r':
			out = append(out, '\\', 'r')
		case c == '\t':
			out = append(out, '\\', 't')
		case c < 0x20:
			out = append(out, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			out = append(out, c)
		}
	}
	return append(out, '"')
}

func appendJCSNumber(out []byte, n json.Number) ([]byte, error) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("number %s does not fit a double", n)
	}
	return AppendES6Number(out, f), nil
}

// AppendES6Number appends f as ECMAScript's Number.prototype.toString writes it (the
// shortest digits that read back as f; exponent form below 1e-6 and from 1e21 on), which is
// what RFC 8785 prescribes. -0 is written 0.
func AppendES6Number(out []byte, f float64) []byte {
	if f == 0 {
		return append(out, '0')
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	start := len(out)
	out = strconv.AppendFloat(out, f, format, -1, 64)
	if format == 'e' {
		// Go writes e-07 where ECMAScript writes e-7.
		num := out[start:]
		if n := len(num); n >= 4 && num[n-4] == 'e' && num[n-3] == '-' && num[n-2] == '0' {
			num[n-2] = num[n-1]
			out = out[:len(out)-1]
		}
	}
	return out
}
