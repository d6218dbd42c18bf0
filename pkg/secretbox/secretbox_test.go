package secretbox

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := New(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("the connector's signing key")
	sealed := b.Seal("apps/a1", secret)
	if bytes.Contains(sealed, secret) {
		t.Fatal("the sealed value holds the secret in the clear")
	}
	if again := b.Seal("apps/a1", secret); bytes.Equal(again, sealed) {
		t.Fatal("two seals are equal: the nonce is not fresh")
	}
	got, err := b.Open("apps/a1", sealed)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := New(NewKey())
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"another record": func() ([]byte, error) { return b.Open("apps/a2", sealed) },
		"another key":    func() ([]byte, error) { return other.Open("apps/a1", sealed) },
		"altered":        func() ([]byte, error) { return b.Open("apps/a1", tampered) },
		"too short":      func() ([]byte, error) { return b.Open("apps/a1", sealed[:5]) },
	} {
		if _, err := try(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: %v, want ErrOpen", name, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	if _, err := ParseKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "not base64!", "AAECAw=="} {
		if _, err := ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
	if _, err := New(make([]byte, 16)); err == nil {
		t.Error("a 16-byte key accepted")
	}
}
