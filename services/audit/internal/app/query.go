package app

import (
	"context"
	"time"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/authz"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// Query is a ListAuditEvents call.
type Query struct {
	RequestID, Subject, ActorID string
	// Since (inclusive) and Until (exclusive) bound the event time; zero: unbounded.
	Since, Until time.Time
	PageSize     int32
	PageToken    string
}

// List returns a page of events in seq order, and the token of the next page ("" at the
// end). Admin and GM see every event. Others see their own events and the events of
// requests they may see (RequestVisibility); the rest are left out of the page, never
// refused: a page may come back short, even empty, with a token to go on.
func (s *Service) List(ctx context.Context, q Query) ([]domain.Event, string, error) {
	p, sub, err := auth.Caller(ctx)
	if err != nil {
		return nil, "", err
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && q.Since.After(q.Until) {
		return nil, "", errs.Invalid("until", "must not be before since")
	}
	after, err := paging.DecodeInt("events", q.PageToken)
	if err != nil {
		return nil, "", err
	}
	size, err := paging.Size(q.PageSize)
	if err != nil {
		return nil, "", err
	}
	f := store.Filter{RequestID: q.RequestID, Subject: q.Subject, ActorID: q.ActorID, Since: q.Since, Until: q.Until, AfterSeq: after}

	seeAll := authz.CanReadAuditAll(sub).Allowed
	if !seeAll && q.RequestID != "" {
		// A caller who may see the request sees its whole lineage, policy versions included.
		if seeAll, err = s.vis.CanSee(ctx, p, q.RequestID); err != nil {
			return nil, "", err
		}
	}
	if seeAll {
		events, err := s.store.ListEvents(ctx, f, size+1)
		if err != nil {
			return nil, "", err
		}
		if len(events) > size {
			return events[:size], paging.EncodeInt("events", events[size-1].Seq), nil
		}
		return events, "", nil
	}

	v := &visibleToCaller{p: p, vis: s.vis, asked: map[string]bool{}}
	chunk := max(size, 100)
	var out []domain.Event
	for scanned := 0; ; {
		events, err := s.store.ListEvents(ctx, f, chunk)
		if err != nil {
			return nil, "", err
		}
		for i := range events {
			e := &events[i]
			f.AfterSeq = e.Seq
			ok, err := v.visible(ctx, e)
			if err != nil {
				return nil, "", err
			}
			if !ok {
				continue
			}
			out = append(out, *e)
			if len(out) == size {
				if i < len(events)-1 || len(events) == chunk {
					return out, paging.EncodeInt("events", e.Seq), nil
				}
				return out, "", nil
			}
		}
		scanned += len(events)
		if len(events) < chunk {
			return out, "", nil
		}
		if scanned >= scanBudget {
			return out, paging.EncodeInt("events", f.AfterSeq), nil
		}
	}
}

// exportPage is how many events Export reads at a time.
const exportPage = 1000

// Export calls fn for every event of the log as it stood when the call began, in seq order
// (Admin, GM).
func (s *Service) Export(ctx context.Context, fn func(*domain.Event) error) error {
	if err := readAll(ctx); err != nil {
		return err
	}
	head, err := s.store.Head(ctx)
	if err != nil {
		return err
	}
	f := store.Filter{ThroughSeq: head.Seq}
	for f.AfterSeq < head.Seq {
		events, err := s.store.ListEvents(ctx, f, exportPage)
		if err != nil {
			return err
		}
		if len(events) == 0 {
			return nil
		}
		for i := range events {
			if err := fn(&events[i]); err != nil {
				return err
			}
		}
		f.AfterSeq = events[len(events)-1].Seq
	}
	return nil
}
