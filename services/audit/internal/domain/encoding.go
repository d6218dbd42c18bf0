package domain

import (
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// EventTag opens the canonical encoding of an event (version 1).
const EventTag = "grantflow.audit.event.v1"

// Encode appends the canonical encoding of e to buf and returns it. The encoding is the
// concatenation, in this order, of
//
//	str(EventTag), i64(Seq), str(ID), i64(Time), str(ActorID), str(ActorCredential),
//	str(Service), str(Action), str(Subject), str(RequestID), str(PolicyID),
//	i64(PolicyVersion), str(TaskID), str(TraceID), str(Data), i64(IngestTime)
//
// where str(s) is the 4-byte big-endian length of s followed by its bytes (UTF-8; Data is
// its canonical JSON), i64(n) is n as 8 bytes big-endian two's complement, and a time is
// i64 of its Unix time in microseconds. PrevHash and Hash are not part of it.
func Encode(buf []byte, e *Event) []byte {
	buf = appendStr(buf, EventTag)
	buf = appendI64(buf, e.Seq)
	buf = appendStr(buf, e.ID)
	buf = appendI64(buf, e.Time.UnixMicro())
	buf = appendStr(buf, e.ActorID)
	buf = appendStr(buf, e.ActorCredential)
	buf = appendStr(buf, e.Service)
	buf = appendStr(buf, e.Action)
	buf = appendStr(buf, e.Subject)
	buf = appendStr(buf, e.RequestID)
	buf = appendStr(buf, e.PolicyID)
	buf = appendI64(buf, e.PolicyVersion)
	buf = appendStr(buf, e.TaskID)
	buf = appendStr(buf, e.TraceID)
	buf = appendBytes(buf, e.Data)
	buf = appendI64(buf, e.IngestTime.UnixMicro())
	return buf
}

// Hasher computes event hashes, reusing its buffer; it is not safe for concurrent use.
type Hasher struct{ buf []byte }

// Sum returns SHA-256(e.PrevHash || Encode(e)): the hash e must carry.
func (h *Hasher) Sum(e *Event) Hash {
	h.buf = append(h.buf[:0], e.PrevHash[:]...)
	h.buf = Encode(h.buf, e)
	return sha256.Sum256(h.buf)
}

// Seal links e to prev: it sets e.PrevHash to prev and e.Hash to the hash it must carry.
func (h *Hasher) Seal(e *Event, prev Hash) {
	e.PrevHash = prev
	e.Hash = h.Sum(e)
}

// Link appends events to a log whose head is (seq, prev): it numbers them seq+1, seq+2, ...
// in their order, stamps them with the one ingest time of their batch, and seals each to
// the one before it (the first to prev).
func Link(events []Event, seq int64, prev Hash, ingest time.Time) {
	var h Hasher
	for i := range events {
		e := &events[i]
		e.Seq = seq + int64(i) + 1
		e.IngestTime = ingest
		h.Seal(e, prev)
		prev = e.Hash
	}
}

func appendStr(buf []byte, s string) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

func appendBytes(buf []byte, b []byte) []byte {
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(b)))
	return append(buf, b...)
}

func appendI64(buf []byte, n int64) []byte {
	return binary.BigEndian.AppendUint64(buf, uint64(n))
}
