package domain

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// CheckpointTag opens the signed message of a checkpoint (version 1).
const CheckpointTag = "grantflow.audit.checkpoint.v1"

// Checkpoint is a signed statement that the log held Seq events, the newest hashing to
// HeadHash, at Time.
type Checkpoint struct {
	Seq       int64
	HeadHash  Hash
	Time      time.Time
	KeyID     string
	Signature []byte
}

// CheckpointMessage is what a checkpoint's Ed25519 signature covers:
//
//	str(CheckpointTag) || i64(Seq) || HeadHash (32 bytes) || i64(Time in Unix microseconds)
//
// with str and i64 as in Encode.
func CheckpointMessage(seq int64, head Hash, t time.Time) []byte {
	buf := appendStr(make([]byte, 0, 4+len(CheckpointTag)+8+32+8), CheckpointTag)
	buf = appendI64(buf, seq)
	buf = append(buf, head[:]...)
	return appendI64(buf, t.UnixMicro())
}

// KeyID names a public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Key signs checkpoints.
type Key struct {
	priv ed25519.PrivateKey
	id   string
}

// NewKey returns the key of a 32-byte Ed25519 seed.
func NewKey(seed []byte) (*Key, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key: want a %d-byte Ed25519 seed, got %d bytes", ed25519.SeedSize, len(seed))
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &Key{priv: priv, id: KeyID(priv.Public().(ed25519.PublicKey))}, nil
}

// GenerateSeed returns a new random Ed25519 seed.
func GenerateSeed() []byte {
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed) // crypto/rand.Read never fails
	return seed
}

// ParseSeed reads a base64 (standard or URL alphabet, padded or not) Ed25519 seed, or a
// 64-byte private key (seed followed by public key), and returns the seed.
func ParseSeed(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	var raw []byte
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err = enc.DecodeString(s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errors.New("signing key: not base64")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return raw, nil
	case ed25519.PrivateKeySize:
		priv := ed25519.PrivateKey(raw)
		if !priv.Public().(ed25519.PublicKey).Equal(ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize]).Public()) {
			return nil, errors.New("signing key: the 64-byte private key's public half does not match its seed")
		}
		return raw[:ed25519.SeedSize], nil
	}
	return nil, fmt.Errorf("signing key: want a %d-byte Ed25519 seed (base64), got %d bytes", ed25519.SeedSize, len(raw))
}

// Public returns the public key.
func (k *Key) Public() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }

// ID returns the key id (KeyID of the public key).
func (k *Key) ID() string { return k.id }

// Sign returns the checkpoint of (seq, head) at t (kept to the microsecond).
func (k *Key) Sign(seq int64, head Hash, t time.Time) Checkpoint {
	t = UTCMicro(t)
	return Checkpoint{Seq: seq, HeadHash: head, Time: t, KeyID: k.id, Signature: ed25519.Sign(k.priv, CheckpointMessage(seq, head, t))}
}

// VerifyCheckpoint checks cp's signature with pub, and that cp names pub's key.
func VerifyCheckpoint(pub ed25519.PublicKey, cp Checkpoint) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("checkpoint %d: the public key has %d bytes, want %d", cp.Seq, len(pub), ed25519.PublicKeySize)
	}
	if want := KeyID(pub); cp.KeyID != want {
		return fmt.Errorf("checkpoint %d is signed by key %q, not by %q", cp.Seq, cp.KeyID, want)
	}
	if !ed25519.Verify(pub, CheckpointMessage(cp.Seq, cp.HeadHash, cp.Time), cp.Signature) {
		return fmt.Errorf("checkpoint %d: bad signature", cp.Seq)
	}
	return nil
}
