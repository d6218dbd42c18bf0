package paging

import (
	"errors"
	"slices"
	"testing"

	"github.com/grantflow/grantflow/pkg/errs"
)

func invalidField(t *testing.T, err error, field string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.KindInvalid || len(e.Fields) == 0 || e.Fields[0].Field != field {
		t.Fatalf("%v: want INVALID_ARGUMENT naming %s", err, field)
	}
}

// TestSizeClampsAndRefusesNegative: AIP-158, as API.md says: 0 is the default 50, more than
// 500 is 500, a negative size is INVALID_ARGUMENT naming page_size.
func TestSizeClampsAndRefusesNegative(t *testing.T) {
	for in, want := range map[int32]int{0: 50, 1: 1, 50: 50, 500: 500, 501: 500, 1 << 30: 500} {
		if got, err := Size(in); err != nil || got != want {
			t.Errorf("Size(%d) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []int32{-1, -500} {
		_, err := Size(in)
		invalidField(t, err, "page_size")
	}
}

// TestTokenRoundTripAndRefusal: a token decodes to its key in its own list only; anything
// else is INVALID_ARGUMENT naming page_token.
func TestTokenRoundTripAndRefusal(t *testing.T) {
	tok := Encode("users", "a@x", "id-1")
	if got, err := Decode("users", tok, 2); err != nil || !slices.Equal(got, []string{"a@x", "id-1"}) {
		t.Fatalf("Decode = %q, %v", got, err)
	}
	if got, err := Decode("users", "", 2); err != nil || !slices.Equal(got, []string{"", ""}) {
		t.Fatalf("Decode of the first page = %q, %v", got, err)
	}
	for _, bad := range []struct {
		list, tok string
		n         int
	}{
		{"groups", tok, 2},      // another list's token
		{"users", tok, 1},       // another shape
		{"users", "%%%", 2},     // not base64
		{"users", "dXNlcnM", 2}, // "users", no key
		{"seq", Encode("seq", "1", "2"), 1},
	} {
		_, err := Decode(bad.list, bad.tok, bad.n)
		invalidField(t, err, "page_token")
	}
	if n, err := DecodeInt("seq", EncodeInt("seq", 42)); err != nil || n != 42 {
		t.Errorf("DecodeInt = %d, %v", n, err)
	}
	if _, err := DecodeInt("seq", Encode("seq", "-3")); err == nil {
		t.Error("a negative number decoded")
	}
}

func TestTrim(t *testing.T) {
	key := func(s string) []string { return []string{s} }
	items, next := Trim([]string{"a", "b", "c"}, 2, "l", key)
	if !slices.Equal(items, []string{"a", "b"}) || next != Encode("l", "b") {
		t.Errorf("Trim = %q, %q", items, next)
	}
	if items, next := Trim([]string{"a", "b"}, 2, "l", key); len(items) != 2 || next != "" {
		t.Errorf("Trim of the last page = %q, %q", items, next)
	}
}

// TestListPagesThroughTheWholeList: List reads the token and the size, fetches one more
// than the page after the token's key, and hands out a token only while more follow; a bad
// token is refused before a bad size, and before anything is fetched.
func TestListPagesThroughTheWholeList(t *testing.T) {
	all := []string{"a", "b", "c", "d", "e"}
	fetch := func(after []string, n int) ([]string, error) {
		i, _ := slices.BinarySearch(all, after[0])
		if i < len(all) && all[i] == after[0] {
			i++
		}
		return all[i:min(i+n, len(all))], nil
	}
	self := func(s string) []string { return []string{s} }
	var got []string
	tok := ""
	for pages := 0; ; pages++ {
		if pages > len(all) {
			t.Fatalf("no end: %v", got)
		}
		page, next, err := List("letters", tok, 1, 2, fetch, self)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		tok = next
	}
	if !slices.Equal(got, all) {
		t.Fatalf("pages = %v; want %v", got, all)
	}
	refuse := func([]string, int) ([]string, error) {
		t.Fatal("fetched after a refusal")
		return nil, nil
	}
	_, _, err := List("letters", Encode("other", "a"), 1, -1, refuse, self)
	invalidField(t, err, "page_token")
	_, _, err = List("letters", "", 1, -1, refuse, self)
	invalidField(t, err, "page_size")
	failed := errors.New("store down")
	if _, _, err := List("letters", "", 1, 0, func([]string, int) ([]string, error) { return nil, failed }, self); err != failed {
		t.Fatalf("fetch error: %v", err)
	}
}
