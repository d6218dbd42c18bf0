package watch

import (
	"context"
	"errors"
	"strconv"

	"github.com/grantflow/grantflow/pkg/errs"
)

// ResumeTooOldReason is the ErrorInfo reason of a watch resumed from a position whose next
// changes were pruned (GRANTFLOW_WATCH_RETENTION).
const ResumeTooOldReason = "WATCH_RESUME_TOO_OLD"

// ResumeTooOld is the answer to a watch resumed after position after when the change right
// after it is no longer kept: FAILED_PRECONDITION, never a silent gap. The client reads the
// current state again (a get or a list) and watches from there.
func ResumeTooOld(what string, after int64) error {
	return errs.FailedPrecondition(ResumeTooOldReason, "the changes of "+what+" after "+strconv.FormatInt(after, 10)+
		" are no longer kept (GRANTFLOW_WATCH_RETENTION): read it again and watch from its current position")
}

// IsResumeTooOld reports whether err, a domain error or a status received, is
// ResumeTooOld's.
func IsResumeTooOld(err error) bool {
	var e *errs.Error
	return errors.As(errs.FromStatus(err), &e) && e.Kind == errs.KindFailedPrecondition && e.Reason == ResumeTooOldReason
}

// Follows checks that a log read after position after (positions one by one, 1, 2, 3...)
// starts right after it: first is the position of the first change read. Anything else
// means the changes in between were pruned: ResumeTooOld.
func Follows(what string, after, first int64) error {
	if first != after+1 {
		return ResumeTooOld(what, after)
	}
	return nil
}

// After reads what a watch sends next: the changes of a log after position after, which
// must follow it (position after+1 first; pruned ones: ResumeTooOld). read reads the changes
// after a position, oldest first; pos is a change's position. When read finds none, head
// tells the log's last position, and may give the change at it (at: a log that did not
// record it, such as a request older than its log): none after after is up to date, and
// the one right after it is that change; further ahead, the log is read once more (what
// committed after the first read is in it) before the resume is refused.
func After[T any](ctx context.Context, what string, after int64, read func(context.Context, int64) ([]T, error),
	pos func(T) int64, head func(context.Context) (last int64, at []T, err error)) ([]T, error) {
	for again := false; ; again = true {
		changes, err := read(ctx, after)
		if err == nil && len(changes) > 0 {
			err = Follows(what, after, pos(changes[0]))
		}
		switch {
		case err != nil:
			return nil, err
		case len(changes) > 0:
			return changes, nil
		}
		last, at, err := head(ctx)
		switch {
		case err != nil || last <= after:
			return nil, err
		case last == after+1 && len(at) > 0:
			return at, nil
		case again:
			return nil, ResumeTooOld(what, after)
		}
	}
}
