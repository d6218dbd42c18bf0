package pgstore

import (
	"slices"
	"testing"
)

func TestArgsNumberPlaceholdersInOrder(t *testing.T) {
	var args Args
	conds := []string{"a = " + args.Add("x"), "b < " + args.Add(2)}
	sql := "SELECT 1 FROM t" + Where(conds...) + args.Limit(10) + args.Limit(0)
	if want := "SELECT 1 FROM t WHERE a = $1 AND b < $2 LIMIT $3"; sql != want {
		t.Errorf("sql = %q, want %q", sql, want)
	}
	if want := []any{"x", 2, 10}; !slices.Equal(args, want) {
		t.Errorf("args = %v, want %v", args, want)
	}
	if got := Where(); got != "" {
		t.Errorf("Where() = %q, want empty", got)
	}
}
