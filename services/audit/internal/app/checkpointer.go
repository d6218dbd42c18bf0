package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/store"
)

// finalCheckpointTimeout bounds the checkpoint Run makes on its way out.
const finalCheckpointTimeout = 5 * time.Second

// Checkpoint signs the head when events arrived since the newest checkpoint, and reports
// whether it made one. Before signing it walks the chain from that checkpoint to the head:
// it never signs a head that does not verify, so a signature cannot launder a change.
// Replicas may race: a checkpoint at a seq that already has one is skipped.
func (s *Service) Checkpoint(ctx context.Context) (domain.Checkpoint, bool, error) {
	var cp domain.Checkpoint
	var made bool
	err := s.store.InTx(ctx, func(ctx context.Context, tx store.Tx) error {
		made = false
		head, err := tx.Head(ctx)
		if err != nil {
			return err
		}
		latest, ok, err := tx.LatestCheckpoint(ctx)
		if err != nil {
			return err
		}
		if head.Seq == 0 || (ok && latest.Seq >= head.Seq) {
			return nil
		}
		// The anchor is taken on trust (its signature is Verify's business, and it may be
		// an older key's): what matters here is that the new head chains to it.
		v := domain.NewVerifierFrom(latest.Seq, latest.HeadHash)
		err = tx.Scan(ctx, v.Start(), func(e *domain.Event) error {
			if e.Seq > head.Seq || !v.Add(e) {
				return errDone
			}
			return nil
		})
		if err != nil && !errors.Is(err, errDone) {
			return err
		}
		if r := v.Finish(); !r.OK || r.VerifiedThrough != head.Seq {
			return fmt.Errorf("refusing to sign checkpoint %d: the chain since checkpoint %d does not verify: %s", head.Seq, latest.Seq, r.Problem)
		}
		cp = s.key.Sign(head.Seq, head.Hash, s.now())
		made, err = tx.AddCheckpoint(ctx, cp)
		return err
	})
	if err != nil {
		return domain.Checkpoint{}, false, err
	}
	if made {
		s.lastCheckpoint.Store(cp.Seq)
	}
	return cp, made, nil
}

var errDone = errors.New("done")

// Run makes checkpoints until ctx ends: every CheckpointInterval when events arrived, and
// as soon as CheckpointEvery events arrived. On its way out it makes a last one.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalCheckpointTimeout)
			s.checkpoint(final)
			cancel()
			return
		case <-tick.C:
		case <-s.kick:
		}
		s.checkpoint(ctx)
	}
}

func (s *Service) checkpoint(ctx context.Context) {
	cp, made, err := s.Checkpoint(ctx)
	switch {
	case err != nil && ctx.Err() == nil:
		s.log.ErrorContext(ctx, "audit checkpoint failed", "error", err.Error())
	case made:
		s.log.DebugContext(ctx, "audit checkpoint", "seq", cp.Seq, "head_hash", cp.HeadHash.String())
	}
}
