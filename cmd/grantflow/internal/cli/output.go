package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Width is the terminal width every table fits.
const Width = 80

// The output formats of -o.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatYAML  = "yaml"
)

// printer is the output layer every command shares: a message as a table, as the JSON the
// REST API writes (every field, enums by name, 64-bit numbers as strings), or as that
// JSON in YAML.
type printer struct {
	w      io.Writer
	format string
}

// print writes msg in the chosen format; table draws it as a table.
func (p printer) print(msg proto.Message, table func() *Table) error {
	switch p.format {
	case formatJSON, formatYAML:
		raw, err := restJSON(msg)
		if err != nil {
			return err
		}
		if p.format == formatYAML {
			if raw, err = yaml.JSONToYAML(raw); err != nil {
				return err
			}
		} else {
			raw = append(raw, '\n')
		}
		_, err = p.w.Write(raw)
		return err
	default:
		return table().Write(p.w)
	}
}

// restJSON is msg as the gateway writes it, indented. (protojson varies its whitespace
// from build to build on purpose; it is normalized here so that output is stable.)
func restJSON(msg proto.Message) ([]byte, error) {
	raw, err := protojson.MarshalOptions{EmitUnpopulated: true}.Marshal(msg)
	if err != nil {
		return nil, err
	}
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, err
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Table is rows under a header, drawn to fit Width columns: when the natural widths do
// not fit, the columns marked Shrink give up room (their cells end in "…"); ids never do.
type Table struct {
	Header []string
	Rows   [][]string
	Shrink []bool // per column
	Empty  string // said instead of the header when there are no rows
}

const gap = 2

// Write draws the table.
func (t *Table) Write(w io.Writer) error {
	if len(t.Rows) == 0 && t.Empty != "" {
		_, err := fmt.Fprintln(w, t.Empty)
		return err
	}
	widths := make([]int, len(t.Header))
	for _, row := range append([][]string{t.Header}, t.Rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	total := func() int {
		n := gap * (len(widths) - 1)
		for _, wd := range widths {
			n += wd
		}
		return n
	}
	// Take one column at a time from the widest shrinkable column, down to 8.
	for total() > Width {
		widest := -1
		for i, wd := range widths {
			if i < len(t.Shrink) && t.Shrink[i] && wd > 8 && (widest < 0 || wd > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		widths[widest]--
	}
	var b strings.Builder
	for _, row := range append([][]string{t.Header}, t.Rows...) {
		var line strings.Builder
		for i, cell := range row {
			cell = fit(cell, widths[i])
			line.WriteString(cell)
			if i < len(row)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+gap))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fit cuts s to width runes, ending in "…" when cut.
func fit(s string, width int) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	return string(r[:width-1]) + "…"
}

// fields is a two-column table of one resource: FIELD, VALUE.
func fields(kv ...string) *Table {
	t := &Table{Header: []string{"FIELD", "VALUE"}, Shrink: []bool{false, true}}
	for i := 0; i+1 < len(kv); i += 2 {
		t.Rows = append(t.Rows, []string{kv[i], kv[i+1]})
	}
	return t
}
