package memstore

import (
	"cmp"
	"slices"

	"github.com/grantflow/grantflow/pkg/storekit"
)

// The queries every memory engine's state answers the same way, on a map of rows. They read
// only: the caller holds the engine's lock (a transaction, or View).

// Get is m[k]; storekit.ErrNotFound (with V's zero value) when m holds no k.
func Get[K comparable, V any](m map[K]V, k K) (V, error) {
	v, ok := m[k]
	if !ok {
		return v, storekit.ErrNotFound
	}
	return v, nil
}

// GetBy is the row of m that the unique index idx names under ik (idx: ik -> m's key);
// storekit.ErrNotFound when idx holds no ik.
func GetBy[I, K comparable, V any](idx map[I]K, ik I, m map[K]V) (V, error) {
	k, ok := idx[ik]
	if !ok {
		var zero V
		return zero, storekit.ErrNotFound
	}
	return Get(m, k)
}

// Page is page p of the values of m that keep accepts, ordered by key(v) ascending: those
// whose key is greater than p.After, at most p.Size of them (0: all), each passed through
// clone. It is never nil. It scans m: fine for the embedded engine, which is not for large
// data.
func Page[K comparable, O cmp.Ordered, V any](m map[K]V, p storekit.Page[O], key func(V) O, keep func(V) bool, clone func(V) V) []V {
	return page(m, p.Size, func(v V) bool { return key(v) > p.After && keep(v) },
		func(a, b V) int { return cmp.Compare(key(a), key(b)) }, clone)
}

// PageDesc is Page newest first: ordered by key(v) descending, the values whose key is less
// than p.After (all of them when p.After is the zero O).
func PageDesc[K comparable, O cmp.Ordered, V any](m map[K]V, p storekit.Page[O], key func(V) O, keep func(V) bool, clone func(V) V) []V {
	var first O
	return page(m, p.Size, func(v V) bool { return (p.After == first || key(v) < p.After) && keep(v) },
		func(a, b V) int { return cmp.Compare(key(b), key(a)) }, clone)
}

func page[K comparable, V any](m map[K]V, size int, keep func(V) bool, order func(a, b V) int, clone func(V) V) []V {
	out := []V{}
	for _, v := range m {
		if keep(v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, order)
	if size > 0 && len(out) > size {
		out = out[:size]
	}
	for i := range out {
		out[i] = clone(out[i])
	}
	return out
}

// All accepts every value: the keep of an unfiltered Page.
func All[V any](V) bool { return true }
