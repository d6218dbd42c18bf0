package watch_test

import (
	"context"
	"testing"

	"github.com/grantflow/grantflow/pkg/watch"
)

// log is a change log of positions first..last, as a store answers it: read gives what is
// kept after a position; commit is called between the first read and head (a change
// committing meanwhile).
type log struct {
	first, last int64
	commit      func(*log)
	atHead      bool // head gives the change at the last position
}

func (l *log) read(_ context.Context, after int64) ([]int64, error) {
	var out []int64
	for p := max(after+1, l.first); p <= l.last; p++ {
		out = append(out, p)
	}
	return out, nil
}

func (l *log) head(context.Context) (int64, []int64, error) {
	if l.commit != nil {
		l.commit(l)
		l.commit = nil
	}
	if l.atHead {
		return l.last, []int64{l.last}, nil
	}
	return l.last, nil, nil
}

func after(l *log, pos int64) ([]int64, error) {
	return watch.After(context.Background(), "the log", pos, l.read, func(p int64) int64 { return p }, l.head)
}

// TestAfter: a read that follows the position is answered; one whose next change was
// pruned is ResumeTooOld; an empty read is up to date, or the change at the head when it
// is the next one, or, further ahead, read again once (what committed meanwhile) before
// it is refused.
func TestAfter(t *testing.T) {
	for _, c := range []struct {
		name   string
		log    log
		pos    int64
		want   int
		tooOld bool
	}{
		{name: "kept", log: log{first: 3, last: 5}, pos: 2, want: 3},
		{name: "pruned", log: log{first: 3, last: 5}, pos: 1, tooOld: true},
		{name: "from the start, pruned", log: log{first: 3, last: 5}, pos: 0, tooOld: true},
		{name: "up to date", log: log{first: 3, last: 5}, pos: 5},
		{name: "all pruned, up to date", log: log{first: 6, last: 5}, pos: 5},
		{name: "all pruned, behind", log: log{first: 6, last: 5}, pos: 4, tooOld: true},
		{name: "all pruned, the head is the next", log: log{first: 6, last: 5, atHead: true}, pos: 4, want: 1},
		{name: "committed between the read and the head", log: log{first: 1, last: 5, commit: func(l *log) { l.last = 7 }}, pos: 5, want: 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := after(&c.log, c.pos)
			if watch.IsResumeTooOld(err) != c.tooOld || (!c.tooOld && err != nil) || len(got) != c.want {
				t.Fatalf("After(%d) = %v, %v; want %d changes, too old %v", c.pos, got, err, c.want, c.tooOld)
			}
			if c.want > 0 && got[0] != c.pos+1 {
				t.Fatalf("After(%d) starts at %d", c.pos, got[0])
			}
		})
	}
}
