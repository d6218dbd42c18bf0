package domain_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// The chain FuzzVerify mutates: 12 events, a checkpoint at 4, 8 and 12 (the head).
const fuzzEvents, fuzzEvery = 12, 4

// Mutations. FuzzVerify reads its input four bytes at a time, {op, a, b, c}, at most
// maxMutations of them; a, b and c pick the event or checkpoint and what changes. Some
// mutations are no-ops (a zero delta, a swap of an event with itself) and two may cancel
// out: the walk must then verify.
const (
	mutField       = iota // flip a bit of a string field (or set an empty one), or bump policy_version
	mutSeq                // add int8(b) to seq
	mutTime               // add int8(b) µs to time and int8(c) µs to ingest_time
	mutData               // flip a bit of data (or set "{}" when empty)
	mutHash               // flip a bit of hash
	mutPrevHash           // flip a bit of prev_hash
	mutDelete             // delete an event
	mutDuplicate          // insert a copy of an event after it
	mutSwap               // swap two events
	mutReseal             // recompute the chain from an event on: an attacker without the key
	mutCpSeq              // add int8(b) to a checkpoint's seq
	mutCpHead             // flip a bit of a checkpoint's head hash
	mutCpTime             // add int8(b) µs to a checkpoint's time
	mutCpKeyID            // flip a bit of a checkpoint's key id
	mutCpSignature        // flip a bit of a checkpoint's signature
	mutCpOtherKey         // re-sign a checkpoint's statement with another key
	mutations
)

const maxMutations = 8

// FuzzVerify mutates a valid chain and walks it, from seq 1 and from the last checkpoint.
// The walk must never panic. From seq 1, a changed log (see logOf) never verifies, except for the one
// change README.md says no verifier can see: events appended, and chained, after the newest
// checkpoint. An unchanged log always verifies. From the last checkpoint, the anchor event
// and everything after it must be the original's, and every checkpoint must be.
//
// The seed corpus is testdata/fuzz/FuzzVerify; run more with
//
//	go test -run '^$' -fuzz FuzzVerify -fuzztime 60s ./internal/domain/
func FuzzVerify(f *testing.F) {
	key, _ := domain.NewKey(bytes.Repeat([]byte{1}, 32))
	other, _ := domain.NewKey(bytes.Repeat([]byte{2}, 32))
	orig := build(f, fuzzEvents, fuzzEvery, key)
	f.Fuzz(func(t *testing.T, ops []byte) {
		src := &sliceSource{events: slices.Clone(orig.events), cps: slices.Clone(orig.cps)}
		for i := range src.events {
			src.events[i].Data = slices.Clone(src.events[i].Data)
		}
		for i := range src.cps {
			src.cps[i].Signature = slices.Clone(src.cps[i].Signature)
		}
		for i := 0; i+4 <= len(ops) && i < 4*maxMutations; i += 4 {
			mutate(src, ops[i], ops[i+1], ops[i+2], ops[i+3], other)
		}
		unchanged := sameEvents(logOf(src), orig.events) && sameCheckpoints(src.cps, orig.cps)
		checkFullWalk(t, orig, src, key, unchanged)
		checkFromLastCheckpoint(t, orig, src, key, unchanged)
	})
}

// recording passes a source's events on and remembers them.
type recording struct {
	*sliceSource
	delivered []domain.Event
}

func (r *recording) Scan(ctx context.Context, from int64, fn func(*domain.Event) error) error {
	return r.sliceSource.Scan(ctx, from, func(e *domain.Event) error {
		r.delivered = append(r.delivered, *e)
		return fn(e)
	})
}

func walk(t *testing.T, src *sliceSource, key *domain.Key, fromLast bool) (domain.Report, []domain.Event) {
	t.Helper()
	rec := &recording{sliceSource: src}
	r, err := domain.VerifySource(context.Background(), rec, key.Public(), fromLast)
	if err != nil {
		t.Fatalf("fromLast=%v: the source never fails, got %v", fromLast, err)
	}
	return r, rec.delivered
}

func checkFullWalk(t *testing.T, orig, src *sliceSource, key *domain.Key, unchanged bool) {
	t.Helper()
	n := len(orig.events)
	r, delivered := walk(t, src, key, false)
	if unchanged {
		if !r.OK || r.VerifiedThrough != int64(n) || r.HeadHash != orig.events[n-1].Hash || r.CheckpointsChecked != len(orig.cps) {
			t.Fatalf("the unchanged log does not verify: %+v", r)
		}
		return
	}
	if r.VerifiedThrough < 0 || r.VerifiedThrough > int64(len(delivered)) {
		t.Fatalf("verified through %d, but only %d events were walked: %+v", r.VerifiedThrough, len(delivered), r)
	}
	vouched := delivered[:r.VerifiedThrough]
	// What a verified checkpoint covers is the original, whatever else happened.
	if cp := r.LastCheckpoint; cp != nil {
		if !slices.ContainsFunc(orig.cps, func(o domain.Checkpoint) bool { return sameCheckpoint(o, *cp) }) {
			t.Fatalf("vouched for a checkpoint that is not one of the original's: %+v", *cp)
		}
		if cp.Seq > r.VerifiedThrough || !sameEvents(vouched[:cp.Seq], orig.events[:cp.Seq]) {
			t.Fatalf("checkpoint %d verified, but the events up to it are not the original's: %+v", cp.Seq, r)
		}
	}
	if !r.OK {
		if r.Problem == "" || r.FirstBadSeq != r.VerifiedThrough+1 {
			t.Fatalf("a failed walk must say what failed and where: %+v", r)
		}
		return
	}
	// Verified although changed: only events appended after the head (the newest
	// checkpoint), chained to it, may differ.
	log := logOf(src)
	appended := len(log) > n && sameEvents(log[:n], orig.events)
	if !appended || !sameCheckpoints(src.cps, orig.cps) || int64(len(delivered)) != r.VerifiedThrough {
		t.Fatalf("a changed log verified: %+v\nevents %d (original %d), checkpoints unchanged %v", r, len(log), n, sameCheckpoints(src.cps, orig.cps))
	}
}

func checkFromLastCheckpoint(t *testing.T, orig, src *sliceSource, key *domain.Key, unchanged bool) {
	t.Helper()
	n := len(orig.events)
	r, delivered := walk(t, src, key, true)
	switch {
	case unchanged:
		if !r.OK || r.VerifiedThrough != int64(n) || r.StartSeq != int64(n) {
			t.Fatalf("the unchanged log does not verify from its last checkpoint: %+v", r)
		}
	case !r.OK:
		if r.Problem == "" || r.FirstBadSeq == 0 {
			t.Fatalf("a failed walk must say what failed and where: %+v", r)
		}
	default:
		// Every signature was checked, and the walk starts at the newest checkpoint (the
		// head): the checkpoints, and the events from the head on, are the original's.
		// Events before the head are taken on trust (README: use the full walk for those).
		if !sameCheckpoints(src.cps, orig.cps) {
			t.Fatalf("changed checkpoints verified from the last checkpoint: %+v", r)
		}
		if len(delivered) == 0 || !sameEvent(delivered[0], orig.events[n-1]) || int64(len(delivered)) != r.VerifiedThrough-int64(n)+1 {
			t.Fatalf("the walk from the last checkpoint vouched for events that are not the original's: %+v", r)
		}
	}
}

// logOf is the log as a store holds it: the events with a seq of at least 1. A row below
// that is outside the log: PostgreSQL refuses it (CHECK seq > 0), and every read, the
// verification walk's included, starts at seq 1.
func logOf(s *sliceSource) []domain.Event {
	return slices.DeleteFunc(slices.Clone(s.events), func(e domain.Event) bool { return e.Seq < 1 })
}

func mutate(s *sliceSource, op, a, b, c byte, other *domain.Key) {
	var h domain.Hasher
	kind := int(op) % mutations
	if kind < mutCpSeq {
		if len(s.events) == 0 {
			return
		}
		i := int(a) % len(s.events)
		e := &s.events[i]
		switch kind {
		case mutField:
			fields := []*string{&e.ID, &e.ActorID, &e.ActorCredential, &e.Service, &e.Action, &e.Subject, &e.RequestID, &e.PolicyID, &e.TaskID, &e.TraceID}
			if f := int(b) % (len(fields) + 1); f == len(fields) {
				e.PolicyVersion += int64(c) + 1
			} else {
				*fields[f] = flipString(*fields[f], c)
			}
		case mutSeq:
			e.Seq += int64(int8(b))
		case mutTime:
			e.Time = e.Time.Add(domain.Micro * timeDelta(b))
			e.IngestTime = e.IngestTime.Add(domain.Micro * timeDelta(c))
		case mutData:
			if len(e.Data) == 0 {
				e.Data = []byte("{}")
			} else {
				e.Data[int(b)%len(e.Data)] ^= 1 << (c % 8)
			}
		case mutHash:
			e.Hash[int(b)%len(e.Hash)] ^= 1 << (c % 8)
		case mutPrevHash:
			e.PrevHash[int(b)%len(e.PrevHash)] ^= 1 << (c % 8)
		case mutDelete:
			s.events = slices.Delete(s.events, i, i+1)
		case mutDuplicate:
			dup := *e
			dup.Data = slices.Clone(e.Data)
			s.events = slices.Insert(s.events, i+1, dup)
		case mutSwap:
			j := int(b) % len(s.events)
			s.events[i], s.events[j] = s.events[j], s.events[i]
		case mutReseal:
			var prev domain.Hash
			if i > 0 {
				prev = s.events[i-1].Hash
			}
			for k := i; k < len(s.events); k++ {
				h.Seal(&s.events[k], prev)
				prev = s.events[k].Hash
			}
		}
		return
	}
	if len(s.cps) == 0 {
		return
	}
	cp := &s.cps[int(a)%len(s.cps)]
	switch kind {
	case mutCpSeq:
		cp.Seq += int64(int8(b))
	case mutCpHead:
		cp.HeadHash[int(b)%len(cp.HeadHash)] ^= 1 << (c % 8)
	case mutCpTime:
		cp.Time = cp.Time.Add(domain.Micro * timeDelta(b))
	case mutCpKeyID:
		cp.KeyID = flipString(cp.KeyID, c)
	case mutCpSignature:
		if len(cp.Signature) == 0 {
			cp.Signature = []byte{c}
		} else {
			cp.Signature[int(b)%len(cp.Signature)] ^= 1 << (c % 8)
		}
	case mutCpOtherKey:
		*cp = other.Sign(cp.Seq, cp.HeadHash, cp.Time)
	}
}

// flipString flips one bit of s (chosen by c), or makes an empty s one letter long.
func flipString(s string, c byte) string {
	if s == "" {
		return string(rune('a' + c%26))
	}
	b := []byte(s)
	b[int(c)%len(b)] ^= 1 << (c % 7) // bits 0-6: ASCII stays ASCII
	return string(b)
}

// timeDelta is a whole number of microseconds (the precision the chain keeps), maybe 0.
func timeDelta(b byte) time.Duration { return time.Duration(int8(b)) }

func sameEvents(a, b []domain.Event) bool { return slices.EqualFunc(a, b, sameEvent) }

// sameEvent compares every field the chain covers, at the chain's precision, and the hashes.
func sameEvent(a, b domain.Event) bool {
	return a.Seq == b.Seq && a.ID == b.ID && a.Time.UnixMicro() == b.Time.UnixMicro() && a.ActorID == b.ActorID &&
		a.ActorCredential == b.ActorCredential && a.Service == b.Service && a.Action == b.Action && a.Subject == b.Subject &&
		a.RequestID == b.RequestID && a.PolicyID == b.PolicyID && a.PolicyVersion == b.PolicyVersion && a.TaskID == b.TaskID &&
		a.TraceID == b.TraceID && bytes.Equal(a.Data, b.Data) && a.IngestTime.UnixMicro() == b.IngestTime.UnixMicro() &&
		a.PrevHash == b.PrevHash && a.Hash == b.Hash
}

func sameCheckpoints(a, b []domain.Checkpoint) bool { return slices.EqualFunc(a, b, sameCheckpoint) }

func sameCheckpoint(a, b domain.Checkpoint) bool {
	return a.Seq == b.Seq && a.HeadHash == b.HeadHash && a.Time.UnixMicro() == b.Time.UnixMicro() &&
		a.KeyID == b.KeyID && bytes.Equal(a.Signature, b.Signature)
}
