package domain

import (
	"encoding/hex"
	"fmt"
	"time"
)

// Hash is a SHA-256 digest.
type Hash [32]byte

// String returns h as 64 lowercase hex digits.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ParseHash reads 64 hex digits.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("hash %q: want %d hex digits", s, 2*len(h))
	}
	if _, err := hex.Decode(h[:], []byte(s)); err != nil {
		return h, fmt.Errorf("hash %q: %w", s, err)
	}
	return h, nil
}

// Event is one event of the log. Every field but Hash is covered by Hash (see Encode).
type Event struct {
	Seq             int64
	ID              string
	Time            time.Time
	ActorID         string
	ActorCredential string
	Service         string
	Action          string
	Subject         string
	RequestID       string
	PolicyID        string
	PolicyVersion   int64
	TaskID          string
	TraceID         string
	// Data is the RFC 8785 canonical JSON of an object (see CanonicalJSON), or empty.
	Data       []byte
	IngestTime time.Time
	PrevHash   Hash
	Hash       Hash
}

// Concerns reports whether the user did e (its actor) or e is about them (its subject is
// users/<id>): the events anyone may see of their own.
func (e *Event) Concerns(userID string) bool {
	return userID != "" && (e.ActorID == userID || e.Subject == "users/"+userID)
}

// Micro is the precision the log keeps times in (PostgreSQL's timestamptz holds
// microseconds): Truncate times with it before sealing.
const Micro = time.Microsecond

// UTCMicro returns t in UTC, truncated to the microsecond.
func UTCMicro(t time.Time) time.Time { return t.UTC().Truncate(Micro) }
