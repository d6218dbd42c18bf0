package pgstore

import (
	"strconv"
	"strings"
)

// Args are the parameters of a statement a query builds from the filters present: Add appends
// one and answers its placeholder.
type Args []any

// Add appends v and returns its placeholder ($1 for the first).
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// Limit is " LIMIT $n" with size added for a positive size, else "" (no limit).
func (a *Args) Limit(size int) string {
	if size <= 0 {
		return ""
	}
	return " LIMIT " + a.Add(size)
}

// Where is " WHERE " and conds joined with AND, or "" when there are none.
func Where(conds ...string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}
