package domain

import (
	"testing"

	"github.com/grantflow/grantflow/pkg/errs"
)

func TestMatchesFilters(t *testing.T) {
	for _, tc := range []struct {
		filters []string
		typ     string
		want    bool
	}{
		{nil, "request.created", true},
		{[]string{"*"}, "task.created", true},
		{[]string{"request.created"}, "request.created", true},
		{[]string{"request.created"}, "request.done", false},
		{[]string{"request.*"}, "request.done", true},
		{[]string{"request.*"}, "requests.done", false},
		{[]string{"task.created", "policy.version.*"}, "policy.version.activated", true},
		{[]string{"task.created", "policy.version.*"}, "policy.created", false},
	} {
		if got := MatchesFilters(tc.filters, tc.typ); got != tc.want {
			t.Errorf("MatchesFilters(%q, %q) = %v, want %v", tc.filters, tc.typ, got, tc.want)
		}
	}
	w := Webhook{EventTypes: nil, Disabled: true}
	if w.Matches("request.created") {
		t.Error("a disabled webhook matched")
	}
}

func TestNormalizeEventTypes(t *testing.T) {
	got, err := NormalizeEventTypes("event_types", []string{"request.*", "task.created", "request.*", "*"})
	if err != nil || len(got) != 3 {
		t.Fatalf("got %q, %v; want three filters", got, err)
	}
	for _, bad := range []string{"", "nope.created", "request*", "req*", "re*quest.*", "nothing.*"} {
		_, err := NormalizeEventTypes("event_types", []string{"task.created", bad})
		var e *errs.Error
		if err == nil || !errs.Is(err, errs.KindInvalid) {
			t.Errorf("%q: err %v, want INVALID_ARGUMENT", bad, err)
			continue
		}
		if e = err.(*errs.Error); e.Fields[0].Field != "event_types[1]" {
			t.Errorf("%q: field %q, want event_types[1]", bad, e.Fields[0].Field)
		}
	}
}
