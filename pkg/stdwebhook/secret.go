package stdwebhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// SecretPrefix starts every secret as shown to people.
const SecretPrefix = "whsec_"

// Secret lengths the specification allows (bytes behind the base64).
const (
	minSecret = 24
	maxSecret = 64
	newSecret = 32
)

// NewSecret returns fresh random secret bytes.
func NewSecret() []byte {
	b := make([]byte, newSecret)
	_, _ = rand.Read(b) // never fails (crypto/rand.Read panics rather than return an error)
	return b
}

// FormatSecret is the secret as shown once to people: whsec_ + base64.
func FormatSecret(b []byte) string { return SecretPrefix + base64.StdEncoding.EncodeToString(b) }

// ParseSecret reads a secret given as whsec_ + base64 of 24 to 64 bytes.
func ParseSecret(s string) ([]byte, error) {
	raw, ok := strings.CutPrefix(strings.TrimSpace(s), SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("a secret starts with %q", SecretPrefix)
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("after %q a secret is standard base64", SecretPrefix)
	}
	if len(b) < minSecret || len(b) > maxSecret {
		return nil, fmt.Errorf("a secret is %d to %d bytes (this one is %d)", minSecret, maxSecret, len(b))
	}
	return b, nil
}
