package app

import (
	"context"
	"crypto/ed25519"

	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/paging"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
)

// Verify walks the chain and checks the checkpoints against the service's public key
// (Admin, GM); see domain.NewVerifier for fromLastCheckpoint. A failed verification is a
// report, not an error, and is logged.
func (s *Service) Verify(ctx context.Context, fromLastCheckpoint bool) (domain.Report, error) {
	if err := readAll(ctx); err != nil {
		return domain.Report{}, err
	}
	r, err := domain.VerifySource(ctx, s.store, s.key.Public(), fromLastCheckpoint)
	if err != nil {
		return r, err
	}
	if !r.OK {
		s.log.ErrorContext(ctx, "audit log verification failed", "first_bad_seq", r.FirstBadSeq,
			"bad_checkpoint_seq", r.BadCheckpointSeq, "problem", r.Problem)
	}
	return r, nil
}

// PublicKey returns the key that verifies the checkpoints, and its id (anyone
// authenticated).
func (s *Service) PublicKey(ctx context.Context) (ed25519.PublicKey, string, error) {
	if _, ok := auth.FromContext(ctx); !ok {
		return nil, "", errs.Unauthenticated("no caller")
	}
	return s.key.Public(), s.key.ID(), nil
}

// Checkpoints returns a page of checkpoints, oldest first (Admin, GM).
func (s *Service) Checkpoints(ctx context.Context, size int32, token string) ([]domain.Checkpoint, string, error) {
	if err := readAll(ctx); err != nil {
		return nil, "", err
	}
	after, err := paging.DecodeInt("checkpoints", token)
	if err != nil {
		return nil, "", err
	}
	n, err := paging.Size(size)
	if err != nil {
		return nil, "", err
	}
	cps, err := s.store.ListCheckpoints(ctx, after, n+1)
	if err != nil {
		return nil, "", err
	}
	if len(cps) > n {
		return cps[:n], paging.EncodeInt("checkpoints", cps[n-1].Seq), nil
	}
	return cps, "", nil
}
