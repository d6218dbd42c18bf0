package cli

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTablesFitAnEightyColumnTerminal: long cells give up room in the columns that may
// shrink, ending in "…"; ids stay whole.
func TestTablesFitAnEightyColumnTerminal(t *testing.T) {
	id := "01a2359b-1181-73fc-9dae-6fa302473465"
	tab := &Table{Header: []string{"ID", "STATUS", "STEP", "ACTION"}, Shrink: []bool{false, false, true, true}}
	tab.Rows = [][]string{
		{id, "PENDING", "A review step with a long name", strings.Repeat("Grant editor on Figma to Uma Chen ", 4)},
		{id, "DONE", "Provision", "short"},
	}
	var b bytes.Buffer
	if err := tab.Write(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > Width {
			t.Errorf("%d columns: %q", n, l)
		}
	}
	if !strings.HasPrefix(lines[1], id+"  PENDING  ") || !strings.HasSuffix(lines[1], "…") {
		t.Errorf("row: %q", lines[1])
	}
	// A table that fits is left as it is.
	b.Reset()
	_ = (&Table{Header: []string{"A", "B"}, Rows: [][]string{{"x", "y"}}, Shrink: []bool{true, true}}).Write(&b)
	if b.String() != "A  B\nx  y\n" {
		t.Errorf("small table: %q", b.String())
	}
	b.Reset()
	_ = (&Table{Header: []string{"A"}, Empty: "No tasks."}).Write(&b)
	if b.String() != "No tasks.\n" {
		t.Errorf("empty table: %q", b.String())
	}
}

func TestAPIErrorIsOneLineWithTheAPIsMessage(t *testing.T) {
	e := apiError(400, []byte(`{"code":3,"message":"invalid permission: app Figma has no permission \"x\"","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"permission","description":"no such permission"}]}]}`))
	if got := e.Error(); got != `invalid permission: app Figma has no permission "x" (InvalidArgument, HTTP 400)` || len(e.Fields) != 1 || e.Fields[0].Field != "permission" {
		t.Errorf("%q %+v", got, e.Fields)
	}
	if got := apiError(502, []byte("<html>bad gateway</html>")).Error(); got != "<html>bad gateway</html> (Unknown, HTTP 502)" {
		t.Errorf("%q", got)
	}
}
