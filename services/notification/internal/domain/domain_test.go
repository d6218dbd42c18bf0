package domain

import (
	"net/netip"
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

func TestValidateURL(t *testing.T) {
	strict, open := URLPolicy{}, URLPolicy{AllowPrivate: true}
	for _, tc := range []struct {
		url        string
		strict, ok bool // strict: valid under the strict policy; ok: valid with AllowPrivate
	}{
		{"https://hooks.example.com/x", true, true},
		{"https://93.184.216.34/x", true, true},
		{"http://hooks.example.com/x", false, true},
		{"https://127.0.0.1/x", false, true},
		{"https://localhost:8443/x", false, true},
		{"https://10.1.2.3/x", false, true},
		{"https://192.168.0.1/x", false, true},
		{"https://169.254.169.254/latest/meta-data", false, true},
		{"https://[::1]/x", false, true},
		{"https://[fd00::1]/x", false, true},
		{"https://[::ffff:127.0.0.1]/x", false, true},
		{"ftp://hooks.example.com/x", false, false},
		{"hooks.example.com/x", false, false},
		{"https://user:pw@hooks.example.com/x", false, false},
		{"https:///x", false, false},
	} {
		if err := strict.ValidateURL("url", tc.url); (err == nil) != tc.strict {
			t.Errorf("strict %q: %v, want valid=%v", tc.url, err, tc.strict)
		} else if err != nil && !errs.Is(err, errs.KindInvalid) {
			t.Errorf("strict %q: %v is not INVALID_ARGUMENT", tc.url, err)
		}
		if err := open.ValidateURL("url", tc.url); (err == nil) != tc.ok {
			t.Errorf("allow-private %q: %v, want valid=%v", tc.url, err, tc.ok)
		}
	}
}

func TestIsPublic(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true,
		"127.0.0.1": false, "127.1.2.3": false, "10.0.0.1": false, "10.255.255.255": false,
		"172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false, "0.0.0.0": false,
		"100.64.0.1": false, "::1": false, "fe80::1": false, "fc00::1": false, "::": false,
		"::ffff:10.0.0.1": false, "224.0.0.1": false,
	} {
		if got := IsPublic(netip.MustParseAddr(addr)); got != want {
			t.Errorf("IsPublic(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestSecretFormat(t *testing.T) {
	s := FormatSecret(NewSecret())
	if len(s) != len(SecretPrefix)+44 || s[:6] != SecretPrefix {
		t.Fatalf("secret %q: want whsec_ + base64 of 32 bytes", s)
	}
}
