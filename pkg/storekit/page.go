package storekit

// Page is a page request on a list ordered by a key of type K: After is the key of the last
// row of the previous page (K's zero value for the first page), Size the most rows to return
// (0: no limit). Which way the list runs (ascending, or newest first) is the list's own.
type Page[K any] struct {
	Size  int
	After K
}
