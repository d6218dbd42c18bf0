package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/grantflow/grantflow/services/notification/internal/domain"
	"github.com/grantflow/grantflow/services/notification/internal/store"
)

// A subscription's signing secret is stored sealed (pkg/secretbox: AES-256-GCM under
// GRANTFLOW_SECRETS_KEY, bound to "webhooks/" + the subscription's id) and opened only to
// sign a delivery. Releases before this one stored the raw secret: always plainSecretSize
// bytes (stdwebhook.NewSecret), while a sealed one is 1 (version) + 12 (nonce) + 32 + 16
// (tag) = 61 bytes, so the length alone tells them apart. Such a row still signs, and
// SealPlainSecrets, at every start, seals it in place.
const plainSecretSize = 32

// errSealed stops UpdateWebhook from storing anything: another replica sealed it first.
var errSealed = errors.New("already sealed")

// secretName binds a sealed secret to its subscription: copied onto another row, it does
// not open.
func secretName(webhookID string) string { return "webhooks/" + webhookID }

// sealSecret is what the store keeps of a subscription's raw secret.
func (s *Service) sealSecret(webhookID string, raw []byte) []byte {
	return s.secrets.Seal(secretName(webhookID), raw)
}

// openSecret is the raw secret to sign with, from what the store keeps: sealed, or the
// plaintext of an earlier release.
func (s *Service) openSecret(webhookID string, stored []byte) ([]byte, error) {
	if len(stored) == plainSecretSize {
		return stored, nil
	}
	return s.secrets.Open(secretName(webhookID), stored)
}

// SealPlainSecrets seals, in place, every subscription's secret an earlier release stored
// in the clear; the others are left alone. Several replicas may run it at once.
func (s *Service) SealPlainSecrets(ctx context.Context) error {
	sealed := 0
	for after := int64(0); ; {
		ws, err := s.store.ListWebhooks(ctx, after, 500)
		if err != nil {
			return fmt.Errorf("notification: seal webhook secrets: %w", err)
		}
		if len(ws) == 0 {
			break
		}
		after = ws[len(ws)-1].Seq
		for _, w := range ws {
			if len(w.Secret) != plainSecretSize {
				continue
			}
			_, err := s.store.UpdateWebhook(ctx, w.ID, func(w *domain.Webhook) error {
				if len(w.Secret) != plainSecretSize {
					return errSealed
				}
				w.Secret = s.sealSecret(w.ID, w.Secret)
				return nil
			})
			switch {
			case err == nil:
				sealed++
			case errors.Is(err, errSealed), errors.Is(err, store.ErrNotFound): // done meanwhile
			default:
				return fmt.Errorf("notification: seal webhook %s's secret: %w", w.ID, err)
			}
		}
	}
	if sealed > 0 {
		s.log.Info("notification: sealed webhook signing secrets stored in the clear by an earlier release", "count", sealed)
	}
	return nil
}
