package memstore

import (
	"errors"
	"slices"
	"testing"

	"github.com/grantflow/grantflow/pkg/storekit"
)

type row struct {
	ID   string
	N    int64
	Tags []string
}

func cloneRow(r row) row {
	r.Tags = slices.Clone(r.Tags)
	return r
}

func rows() map[string]row {
	m := map[string]row{}
	for i, id := range []string{"d", "a", "c", "e", "b"} {
		m[id] = row{ID: id, N: int64(i), Tags: []string{id}}
	}
	return m
}

func ids(rs []row) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestGetAndGetBy(t *testing.T) {
	m := rows()
	if r, err := Get(m, "c"); err != nil || r.ID != "c" {
		t.Errorf("Get(c) = %v, %v", r, err)
	}
	if _, err := Get(m, "x"); !errors.Is(err, storekit.ErrNotFound) {
		t.Errorf("Get(x) = %v, want ErrNotFound", err)
	}
	idx := map[string]string{"key-c": "c", "key-gone": "gone"}
	if r, err := GetBy(idx, "key-c", m); err != nil || r.ID != "c" {
		t.Errorf("GetBy(key-c) = %v, %v", r, err)
	}
	for _, k := range []string{"", "key-x", "key-gone"} {
		if _, err := GetBy(idx, k, m); !errors.Is(err, storekit.ErrNotFound) {
			t.Errorf("GetBy(%q) = %v, want ErrNotFound", k, err)
		}
	}
}

func TestPageAndPageDesc(t *testing.T) {
	m := rows()
	byID := func(r row) string { return r.ID }
	type pager func(map[string]row, storekit.Page[string], func(row) string, func(row) bool, func(row) row) []row
	for _, tc := range []struct {
		name string
		page pager
		p    storekit.Page[string]
		want []string
	}{
		{"Page", Page[string, string, row], storekit.Page[string]{}, []string{"a", "b", "c", "d", "e"}},
		{"Page", Page[string, string, row], storekit.Page[string]{Size: 2}, []string{"a", "b"}},
		{"Page", Page[string, string, row], storekit.Page[string]{Size: 2, After: "b"}, []string{"c", "d"}},
		{"Page", Page[string, string, row], storekit.Page[string]{After: "e"}, []string{}},
		{"PageDesc", PageDesc[string, string, row], storekit.Page[string]{}, []string{"e", "d", "c", "b", "a"}},
		{"PageDesc", PageDesc[string, string, row], storekit.Page[string]{Size: 2}, []string{"e", "d"}},
		{"PageDesc", PageDesc[string, string, row], storekit.Page[string]{Size: 2, After: "d"}, []string{"c", "b"}},
		{"PageDesc", PageDesc[string, string, row], storekit.Page[string]{After: "a"}, []string{}},
	} {
		got := tc.page(m, tc.p, byID, All, cloneRow)
		if got == nil || !slices.Equal(ids(got), tc.want) {
			t.Errorf("%s(%+v) = %#v, want %v", tc.name, tc.p, ids(got), tc.want)
		}
	}
	// Another key type, a filter, and clones.
	got := Page(m, storekit.Page[int64]{After: 1}, func(r row) int64 { return r.N }, func(r row) bool { return r.ID != "e" }, cloneRow)
	if want := []string{"c", "b"}; !slices.Equal(ids(got), want) {
		t.Errorf("Page by N after 1 without e = %v, want %v", ids(got), want)
	}
	got[0].Tags[0] = "changed"
	if m["c"].Tags[0] != "c" {
		t.Error("Page returned the stored value, not a clone")
	}
}

func TestInsertAndInsertIndexed(t *testing.T) {
	type st struct {
		rows map[string]row
		idx  map[string]string
	}
	e := New(st{rows: map[string]row{"a": {ID: "a"}}, idx: map[string]string{"key-a": "a"}})
	write := func(fn func(s *st, tx *Tx) error) error { return e.Write(fn) }
	for name, fn := range map[string]func(s *st, tx *Tx) error{
		"Insert taken id": func(s *st, tx *Tx) error { return Insert(tx, s.rows, "a", row{ID: "a"}) },
		"taken id":        func(s *st, tx *Tx) error { return InsertIndexed(tx, s.rows, "a", row{ID: "a"}, s.idx, "key-new") },
		"taken key":       func(s *st, tx *Tx) error { return InsertIndexed(tx, s.rows, "b", row{ID: "b"}, s.idx, "key-a") },
	} {
		// The conflict writes nothing, and the transaction that saw it still commits.
		if err := write(func(s *st, tx *Tx) error {
			if err := fn(s, tx); !errors.Is(err, storekit.ErrConflict) {
				t.Errorf("%s: %v, want ErrConflict", name, err)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := write(func(s *st, tx *Tx) error {
		if err := InsertIndexed(tx, s.rows, "b", row{ID: "b"}, s.idx, "key-b"); err != nil {
			return err
		}
		return InsertIndexed(tx, s.rows, "c", row{ID: "c"}, s.idx, "") // no key: nothing indexed
	}); err != nil {
		t.Fatal(err)
	}
	s, done := e.Read()
	defer done()
	if len(s.rows) != 3 || s.idx["key-b"] != "b" || len(s.idx) != 2 {
		t.Errorf("rows %v, index %v; want a, b, c and key-a, key-b", s.rows, s.idx)
	}
}
