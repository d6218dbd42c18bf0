package auth

import (
	"strings"
	"testing"
	"time"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
)

func TestTokenRoundTrip(t *testing.T) {
	s, err := NewSigner([]byte(strings.Repeat("k", 32)), "gateway")
	if err != nil {
		t.Fatal(err)
	}
	in := Principal{UserID: "u1", Role: identityv1.Role_GENERAL_MANAGER, CredentialKind: identityv1.CredentialKind_API_KEY, CredentialID: "key1"}
	tok, err := s.Mint(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	in.Internal = true
	if out != in {
		t.Fatalf("got %+v, want %+v", out, in)
	}
}

func TestTokenRefused(t *testing.T) {
	s, _ := NewSigner([]byte(strings.Repeat("k", 32)), "gateway")
	other, _ := NewSigner([]byte(strings.Repeat("z", 32)), "gateway")
	good, _ := s.Mint(Principal{UserID: "u1"})
	forged, _ := other.Mint(Principal{UserID: "u1"})
	past := time.Now().Add(-time.Hour)
	old := &Signer{key: s.key, ttl: time.Minute, now: func() time.Time { return past }}
	expired, _ := old.Mint(Principal{UserID: "u1"})
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	for name, tok := range map[string]string{"other secret": forged, "expired": expired, "tampered": tampered, "garbage": "abc", "empty": ""} {
		if _, err := s.Verify(tok); err == nil {
			t.Errorf("%s token accepted", name)
		}
	}
	if _, err := NewSigner([]byte("short"), "x"); err == nil {
		t.Error("short secret accepted")
	}
}

func TestBearer(t *testing.T) {
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer  abc ": "abc", "Basic abc": "", "Bearer ": "", "": ""} {
		got, ok := bearer(h)
		if got != want || ok != (want != "") {
			t.Errorf("bearer(%q) = %q, %v", h, got, ok)
		}
	}
}
