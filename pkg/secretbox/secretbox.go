// Package secretbox seals secrets that a service must keep and use again (an app
// connector's signing secret) so that its store never holds them in the clear: AES-256-GCM
// (the standard library's crypto/aes and crypto/cipher) under a key from the process's
// configuration (GRANTFLOW_SECRETS_KEY or GRANTFLOW_SECRETS_KEY_FILE), a fresh random nonce
// per seal, and the record's name as associated data, so a sealed value copied onto another
// record does not open.
//
// secretbox imports the standard library only.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key: AES-256.
const KeySize = 32

// version prefixes every sealed value, so a later key or algorithm can be told apart.
const version byte = 1

// ErrOpen is a sealed value that does not open under the key (another key, altered, or
// sealed for another record).
var ErrOpen = errors.New("secretbox: the sealed value does not open with this key")

// Box seals and opens under one key.
type Box struct{ aead cipher.AEAD }

// New returns a box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secretbox: a key is %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// ParseKey reads a key given as standard base64 of 32 bytes.
func ParseKey(s string) ([]byte, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("the key is not standard base64")
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("the key is %d bytes, want %d (openssl rand -base64 32)", len(key), KeySize)
	}
	return key, nil
}

// NewKey returns a random key (an ephemeral key for the memory engine, tests).
func NewKey() []byte {
	k := make([]byte, KeySize)
	_, _ = rand.Read(k) // never fails
	return k
}

// Seal encrypts plaintext for the record named name.
func (b *Box) Seal(name string, plaintext []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := append([]byte{version}, nonce...)
	return b.aead.Seal(out, nonce, plaintext, []byte(name))
}

// Open decrypts what Seal sealed for the same name.
func (b *Box) Open(name string, sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != version {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(name))
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
