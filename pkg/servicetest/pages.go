package servicetest

import "testing"

// MaxPages bounds [AllPages]: a list that never ends fails the test instead of hanging it.
const MaxPages = 100

// AllPages reads a paged list to its end: it calls page with the token "" and then with
// each next page token it answers, until one answers none, and returns the items of every
// page in order. It stops t when a call fails, or after MaxPages pages.
func AllPages[T any](t testing.TB, page func(token string) (items []T, next string, err error)) []T {
	t.Helper()
	var all []T
	token := ""
	for range MaxPages {
		items, next, err := page(token)
		if err != nil {
			t.Fatalf("page %q: %v", token, err)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		token = next
	}
	t.Fatalf("more than %d pages", MaxPages)
	return nil
}
