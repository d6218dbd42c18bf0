package pgstore

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestValidateSchema(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"identity", true},
		{"policy_v2", true},
		{"a", true},
		{strings.Repeat("a", 63), true},
		{strings.Repeat("a", 64), false},
		{"", false},
		{"Identity", false},
		{"2fa", false},
		{"_private", false},
		{"svc-name", false},
		{"svc name", false},
		{`svc"; DROP SCHEMA public; --`, false},
		{"svc.table", false},
		{"sérvice", false},
	} {
		err := ValidateSchema(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateSchema(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"no URL", Options{Schema: "svc"}, "URL is required"},
		{"bad schema", Options{URL: "postgres://x/y", Schema: "Svc"}, "invalid schema"},
		{"negative pool", Options{URL: "postgres://x/y", Schema: "svc", MaxConns: -1}, "MaxConns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := (Options{URL: "postgres://x/y", Schema: "svc"}).validate(); err != nil {
		t.Errorf("valid options rejected: %v", err)
	}
}

func TestSchemaOptions(t *testing.T) {
	s := NewSchema("svc", fstest.MapFS{"migrations/00001_a.sql": {Data: []byte("-- +goose Up\n")}})
	s.MaxConns = 3
	o := s.Options("postgres://x")
	if o.URL != "postgres://x" || o.Schema != "svc" || o.MaxConns != 3 {
		t.Fatalf("Options = %+v", o)
	}
	if _, err := fs.Stat(o.Migrations, "00001_a.sql"); err != nil {
		t.Errorf("migrations are not the directory's contents: %v", err)
	}
}
