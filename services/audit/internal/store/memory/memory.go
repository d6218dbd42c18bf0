package memory

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/grantflow/grantflow/pkg/memstore"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// state is the committed log.
type state struct {
	// events[i] has seq i+1; its elements are never written after commit.
	events    []domain.Event
	ids       map[string]bool
	byRequest map[string][]int64  // request id -> seqs
	cps       []domain.Checkpoint // by seq
	seed      []byte
}

// Store is the in-memory audit store: a memstore engine without an outbox (audit is where
// events end). Its transactions stage their writes and apply them when they succeed.
type Store struct {
	*memstore.Engine[state]
}

var _ store.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{memstore.New(state{ids: map[string]bool{}, byRequest: map[string][]int64{}})}
}

func (st *state) committed() view {
	return view{
		base:      st.events,
		known:     func(id string) bool { return st.ids[id] },
		byRequest: func(id string) []int64 { return st.byRequest[id] },
		cps:       st.cps,
	}
}

func (s *Store) Head(ctx context.Context) (store.Head, error) {
	return memstore.View(s.Engine, func(st *state) (store.Head, error) { return st.committed().head(), nil })
}

func (s *Store) ListEvents(ctx context.Context, f store.Filter, limit int) ([]domain.Event, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Event, error) { return st.committed().list(ctx, f, limit) })
}

// Scan reads the events committed when it starts, without holding the lock while fn runs:
// committed events are never written again.
func (s *Store) Scan(ctx context.Context, from int64, fn func(*domain.Event) error) error {
	st, done := s.Read()
	v := view{base: st.events[:len(st.events):len(st.events)]}
	done()
	return v.scan(ctx, from, fn)
}

func (s *Store) KnownIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	return memstore.View(s.Engine, func(st *state) (map[string]bool, error) { return st.committed().knownIDs(ids), nil })
}

func (s *Store) ListCheckpoints(ctx context.Context, afterSeq int64, limit int) ([]domain.Checkpoint, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Checkpoint, error) {
		return st.committed().listCheckpoints(afterSeq, limit), nil
	})
}

func (s *Store) AllCheckpoints(ctx context.Context) ([]domain.Checkpoint, error) {
	return memstore.View(s.Engine, func(st *state) ([]domain.Checkpoint, error) { return slices.Clone(st.cps), nil })
}

func (s *Store) LatestCheckpoint(ctx context.Context) (domain.Checkpoint, bool, error) {
	st, done := s.Read()
	defer done()
	cp, ok := st.committed().latestCheckpoint()
	return cp, ok, nil
}

// InTx runs fn as one memstore transaction (under the write lock); its staged writes apply
// only when it returns nil.
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.Write(func(st *state, _ *memstore.Tx) error {
		t := &tx{s: st, stagedIDs: map[string]bool{}}
		if err := fn(ctx, t); err != nil {
			return err
		}
		for _, e := range t.staged {
			st.events = append(st.events, e)
			st.ids[e.ID] = true
			if e.RequestID != "" {
				st.byRequest[e.RequestID] = append(st.byRequest[e.RequestID], e.Seq)
			}
		}
		if len(t.stagedCPs) > 0 {
			st.cps = mergeCheckpoints(st.cps, t.stagedCPs)
		}
		return nil
	})
}

// SigningSeed stores candidate unless a seed is stored, and returns the stored seed.
func (s *Store) SigningSeed(ctx context.Context, candidate []byte) (seed []byte, err error) {
	err = s.Write(func(st *state, _ *memstore.Tx) error {
		if st.seed == nil {
			st.seed = slices.Clone(candidate)
		}
		seed = slices.Clone(st.seed)
		return nil
	})
	return seed, err
}

// tx stages its writes; the store's write lock is held throughout.
type tx struct {
	s         *state
	staged    []domain.Event
	stagedIDs map[string]bool
	stagedCPs []domain.Checkpoint
}

// view is the committed log with the transaction's staged writes on top, without copying
// the committed part.
func (t *tx) view() view {
	v := t.s.committed()
	if len(t.staged) > 0 {
		v.extra = t.staged
		v.known = func(id string) bool { return t.s.ids[id] || t.stagedIDs[id] }
		v.byRequest = func(id string) []int64 {
			seqs := t.s.byRequest[id]
			for _, e := range t.staged {
				if e.RequestID == id {
					seqs = append(seqs[:len(seqs):len(seqs)], e.Seq)
				}
			}
			return seqs
		}
	}
	if len(t.stagedCPs) > 0 {
		v.cps = mergeCheckpoints(slices.Clone(v.cps), t.stagedCPs)
	}
	return v
}

func (t *tx) Head(ctx context.Context) (store.Head, error) { return t.view().head(), nil }

func (t *tx) LockHead(ctx context.Context) (store.Head, error) { return t.view().head(), nil }

func (t *tx) ListEvents(ctx context.Context, f store.Filter, limit int) ([]domain.Event, error) {
	return t.view().list(ctx, f, limit)
}

func (t *tx) Scan(ctx context.Context, from int64, fn func(*domain.Event) error) error {
	return t.view().scan(ctx, from, fn)
}

func (t *tx) KnownIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	return t.view().knownIDs(ids), nil
}

func (t *tx) ListCheckpoints(ctx context.Context, afterSeq int64, limit int) ([]domain.Checkpoint, error) {
	return t.view().listCheckpoints(afterSeq, limit), nil
}

func (t *tx) AllCheckpoints(ctx context.Context) ([]domain.Checkpoint, error) {
	return slices.Clone(t.view().cps), nil
}

func (t *tx) LatestCheckpoint(ctx context.Context) (domain.Checkpoint, bool, error) {
	cp, ok := t.view().latestCheckpoint()
	return cp, ok, nil
}

func (t *tx) Insert(ctx context.Context, events []domain.Event) error {
	head := t.view().head().Seq
	seen := map[string]bool{}
	for i, e := range events {
		if want := head + 1 + int64(i); e.Seq != want {
			return fmt.Errorf("insert event %s: seq %d does not follow the head (want %d): %w", e.ID, e.Seq, want, store.ErrConflict)
		}
		if t.s.ids[e.ID] || t.stagedIDs[e.ID] || seen[e.ID] {
			return fmt.Errorf("insert event %s: id already stored: %w", e.ID, store.ErrConflict)
		}
		seen[e.ID] = true
	}
	for _, e := range events {
		e.Data = slices.Clone(e.Data)
		t.staged = append(t.staged, e)
		t.stagedIDs[e.ID] = true
	}
	return nil
}

func (t *tx) AddCheckpoint(ctx context.Context, cp domain.Checkpoint) (bool, error) {
	if _, found := slices.BinarySearchFunc(t.s.cps, cp.Seq, func(c domain.Checkpoint, seq int64) int { return cmp64(c.Seq, seq) }); found {
		return false, nil
	}
	for _, staged := range t.stagedCPs {
		if staged.Seq == cp.Seq {
			return false, nil
		}
	}
	cp.Signature = slices.Clone(cp.Signature)
	t.stagedCPs = append(t.stagedCPs, cp)
	return true, nil
}

// view is the log as one reader sees it: base (the committed events, seq i at index i-1)
// followed by extra (a transaction's staged events).
type view struct {
	base      []domain.Event
	extra     []domain.Event
	known     func(id string) bool
	byRequest func(id string) []int64
	cps       []domain.Checkpoint
}

func (v view) len() int64 { return int64(len(v.base) + len(v.extra)) }

// at returns the event of seq, which must be in 1..len().
func (v view) at(seq int64) *domain.Event {
	if seq <= int64(len(v.base)) {
		return &v.base[seq-1]
	}
	return &v.extra[seq-1-int64(len(v.base))]
}

func (v view) head() store.Head {
	if v.len() == 0 {
		return store.Head{}
	}
	last := v.at(v.len())
	return store.Head{Seq: last.Seq, Hash: last.Hash}
}

func (v view) knownIDs(ids []string) map[string]bool {
	out := map[string]bool{}
	for _, id := range ids {
		if v.known(id) {
			out[id] = true
		}
	}
	return out
}

type policyVersion struct {
	id      string
	version int64
}

func (v view) list(ctx context.Context, f store.Filter, limit int) ([]domain.Event, error) {
	var lineage map[policyVersion]bool
	var requestSeqs map[int64]bool
	if f.RequestID != "" {
		lineage, requestSeqs = map[policyVersion]bool{}, map[int64]bool{}
		for _, seq := range v.byRequest(f.RequestID) {
			requestSeqs[seq] = true
			if e := v.at(seq); e.PolicyID != "" {
				lineage[policyVersion{e.PolicyID, e.PolicyVersion}] = true
			}
		}
	}
	end := v.len()
	if f.ThroughSeq > 0 && f.ThroughSeq < end {
		end = f.ThroughSeq
	}
	var out []domain.Event
	for seq := max(f.AfterSeq, 0) + 1; seq <= end && len(out) < limit; seq++ {
		if seq%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		e := v.at(seq)
		switch {
		case f.RequestID != "" && !requestSeqs[seq] &&
			!(strings.HasPrefix(e.Action, "policy.version.") && lineage[policyVersion{e.PolicyID, e.PolicyVersion}]):
		case f.Subject != "" && e.Subject != f.Subject:
		case f.ActorID != "" && e.ActorID != f.ActorID:
		case !f.Since.IsZero() && e.Time.Before(f.Since):
		case !f.Until.IsZero() && !e.Time.Before(f.Until):
		default:
			out = append(out, *e)
		}
	}
	return out, nil
}

func (v view) listCheckpoints(afterSeq int64, limit int) []domain.Checkpoint {
	i, _ := slices.BinarySearchFunc(v.cps, afterSeq+1, func(c domain.Checkpoint, seq int64) int { return cmp64(c.Seq, seq) })
	return slices.Clone(v.cps[i:min(len(v.cps), i+limit)])
}

func (v view) latestCheckpoint() (domain.Checkpoint, bool) {
	if len(v.cps) == 0 {
		return domain.Checkpoint{}, false
	}
	return v.cps[len(v.cps)-1], true
}

// scan hands fn a copy of each event, so that no caller can change a stored one.
func (v view) scan(ctx context.Context, from int64, fn func(*domain.Event) error) error {
	for seq := max(from, 1); seq <= v.len(); seq++ {
		if seq%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		e := *v.at(seq)
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

func mergeCheckpoints(cps, add []domain.Checkpoint) []domain.Checkpoint {
	cps = append(cps, add...)
	slices.SortStableFunc(cps, func(a, b domain.Checkpoint) int { return cmp64(a.Seq, b.Seq) })
	return cps
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
