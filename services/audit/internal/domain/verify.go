package domain

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
)

// Report is the outcome of a verification walk.
type Report struct {
	// OK is true when every event walked and every checkpoint verified.
	OK bool
	// VerifiedThrough is the newest seq vouched for (0: none); FirstBadSeq-1 when not OK.
	VerifiedThrough int64
	// HeadHash is the hash of event VerifiedThrough (zero when none).
	HeadHash Hash
	// FirstBadSeq is the lowest seq that could not be vouched for (0 when OK). An event that
	// is missing, out of place, or does not link or hash is reported itself. A checkpoint that
	// fails (bad signature, head hash that the chain no longer reaches, seq beyond the newest
	// event) cannot say which event changed: it reports the seq after the checkpoint before it.
	FirstBadSeq int64
	// Problem says what failed, for people.
	Problem string
	// StartSeq is where the walk began: 1, or the checkpoint it trusted.
	StartSeq int64
	// EventsChecked counts the events walked; CheckpointsChecked the checkpoints that
	// verified.
	EventsChecked      int64
	CheckpointsChecked int
	// LastCheckpoint is the newest checkpoint that verified against the chain.
	LastCheckpoint *Checkpoint
	// BadCheckpointSeq is the seq of the checkpoint that failed (0: none).
	BadCheckpointSeq int64
}

// Verifier checks a chain fed to it in seq order. Make one with NewVerifier, scan the
// events from Start() and Add each until Add returns false, then call Finish.
type Verifier struct {
	pub      ed25519.PublicKey
	cps      []Checkpoint // still to meet, by seq
	next     int64        // the seq the next event must carry
	prev     Hash         // the hash it must link to
	skipLink bool         // the first event is a trusted checkpoint's: its link is not checked
	anchor   *Hash        // the hash the first event must carry (NewVerifierFrom)
	lastGood Checkpoint   // the newest checkpoint vouched for (zero: the start of the log)
	h        Hasher
	r        Report
	done     bool
}

// NewVerifier prepares a walk trusting pub. With fromLastCheckpoint it checks every
// checkpoint's signature and starts at the newest one, taking on trust everything before
// it; otherwise it walks from seq 1 and meets each checkpoint on the way.
func NewVerifier(pub ed25519.PublicKey, checkpoints []Checkpoint, fromLastCheckpoint bool) *Verifier {
	cps := slices.Clone(checkpoints)
	slices.SortStableFunc(cps, func(a, b Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })
	v := &Verifier{pub: pub, cps: cps, next: 1}
	if fromLastCheckpoint && len(cps) > 0 {
		for i, cp := range cps {
			if err := VerifyCheckpoint(pub, cp); err != nil {
				v.failCheckpoint(cp, err.Error())
				return v
			}
			if cp.Seq <= 0 {
				v.failCheckpoint(cp, fmt.Sprintf("checkpoint at seq %d names no event", cp.Seq))
				return v
			}
			if i < len(cps)-1 {
				v.lastGood = cp
				v.r.CheckpointsChecked++
			}
		}
		anchor := cps[len(cps)-1]
		v.cps = cps[len(cps)-1:]
		v.next, v.skipLink = anchor.Seq, true
	}
	v.r.StartSeq = v.next
	return v
}

// NewVerifierFrom prepares a walk from an anchor taken on trust: the event at seq must
// hash to hash, and everything after it must chain to it. It checks no checkpoint. The
// checkpointer runs it from the newest checkpoint before signing the next one. A zero seq
// walks from the start of the log.
func NewVerifierFrom(seq int64, hash Hash) *Verifier {
	v := &Verifier{next: 1}
	if seq > 0 {
		v.next, v.skipLink, v.anchor = seq, true, &hash
		v.lastGood = Checkpoint{Seq: seq, HeadHash: hash}
	}
	v.r.StartSeq = v.next
	return v
}

// Start is the seq to scan from.
func (v *Verifier) Start() int64 { return v.r.StartSeq }

// Done reports whether the walk has already failed (no more events are needed).
func (v *Verifier) Done() bool { return v.done }

// Add checks the next event; it returns false once the walk has failed.
func (v *Verifier) Add(e *Event) bool {
	if v.done {
		return false
	}
	v.r.EventsChecked++
	switch {
	case e.Seq > v.next:
		return v.failEvent(v.next, fmt.Sprintf("event %d is missing: the next stored event is %d", v.next, e.Seq))
	case e.Seq < v.next:
		return v.failEvent(v.next, fmt.Sprintf("event %d appears where event %d should: out of order or repeated", e.Seq, v.next))
	case !v.skipLink && e.PrevHash != v.prev:
		return v.failEvent(e.Seq, fmt.Sprintf("event %d: prev_hash %s is not the hash of event %d (%s)", e.Seq, e.PrevHash, e.Seq-1, v.prev))
	}
	if sum := v.h.Sum(e); sum != e.Hash {
		return v.failEvent(e.Seq, fmt.Sprintf("event %d: its content hashes to %s, not to its stored hash %s", e.Seq, sum, e.Hash))
	}
	if v.anchor != nil {
		if e.Hash != *v.anchor {
			return v.failEvent(e.Seq, fmt.Sprintf("event %d hashes to %s, not to the anchor %s", e.Seq, e.Hash, *v.anchor))
		}
		v.anchor = nil
	}
	v.skipLink = false
	v.prev, v.next = e.Hash, e.Seq+1
	v.r.VerifiedThrough, v.r.HeadHash = e.Seq, e.Hash
	for len(v.cps) > 0 && v.cps[0].Seq <= e.Seq {
		cp := v.cps[0]
		v.cps = v.cps[1:]
		if cp.Seq < e.Seq {
			return v.failCheckpoint(cp, fmt.Sprintf("checkpoint at seq %d names no event of the walk", cp.Seq))
		}
		if err := VerifyCheckpoint(v.pub, cp); err != nil {
			return v.failCheckpoint(cp, err.Error())
		}
		if cp.HeadHash != e.Hash {
			return v.failCheckpoint(cp, fmt.Sprintf("checkpoint %d signed head hash %s, but event %d hashes to %s: the events up to it were rewritten", cp.Seq, cp.HeadHash, e.Seq, e.Hash))
		}
		v.lastGood = cp
		v.r.CheckpointsChecked++
		v.r.LastCheckpoint = &cp
	}
	return true
}

// Finish checks the checkpoints the walk did not reach and returns the report.
func (v *Verifier) Finish() Report {
	if !v.done && v.anchor != nil {
		v.failEvent(v.next, fmt.Sprintf("event %d, the anchor of the walk, is missing", v.next))
	}
	if !v.done && len(v.cps) > 0 {
		cp := v.cps[0]
		if err := VerifyCheckpoint(v.pub, cp); err != nil {
			v.failCheckpoint(cp, err.Error())
		} else {
			v.failCheckpoint(cp, fmt.Sprintf("checkpoint %d is beyond the newest event walked (%d): events were removed", cp.Seq, v.next-1))
		}
	}
	if !v.done {
		v.r.OK = true
		v.done = true
	}
	return v.r
}

func (v *Verifier) failEvent(seq int64, problem string) bool {
	v.r.FirstBadSeq, v.r.Problem = seq, problem
	v.r.VerifiedThrough = seq - 1
	if v.r.VerifiedThrough < v.r.StartSeq {
		// Nothing of this walk verified: what stands is the checkpoint it started from.
		v.r.VerifiedThrough, v.r.HeadHash = v.lastGood.Seq, v.lastGood.HeadHash
	} else {
		v.r.HeadHash = v.prev
	}
	v.done = true
	return false
}

func (v *Verifier) failCheckpoint(cp Checkpoint, problem string) bool {
	v.r.FirstBadSeq, v.r.Problem, v.r.BadCheckpointSeq = v.lastGood.Seq+1, problem, cp.Seq
	v.r.VerifiedThrough, v.r.HeadHash = v.lastGood.Seq, v.lastGood.HeadHash
	v.r.LastCheckpoint = nil
	if v.lastGood.Seq > 0 {
		good := v.lastGood
		v.r.LastCheckpoint = &good
	}
	v.done = true
	return false
}

// Source is a log to verify: its checkpoints, and its events in seq order.
type Source interface {
	AllCheckpoints(ctx context.Context) ([]Checkpoint, error)
	// Scan calls fn for each event from seq from on, in seq order, and stops at fn's first
	// error, returning it.
	Scan(ctx context.Context, from int64, fn func(*Event) error) error
}

var errStop = errors.New("verification stopped")

// VerifySource walks src (see NewVerifier). The error is the source's, never a finding:
// findings are in the report.
func VerifySource(ctx context.Context, src Source, pub ed25519.PublicKey, fromLastCheckpoint bool) (Report, error) {
	cps, err := src.AllCheckpoints(ctx)
	if err != nil {
		return Report{}, err
	}
	v := NewVerifier(pub, cps, fromLastCheckpoint)
	if !v.Done() {
		err := src.Scan(ctx, v.Start(), func(e *Event) error {
			if !v.Add(e) {
				return errStop
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStop) {
			return Report{}, err
		}
	}
	return v.Finish(), nil
}
