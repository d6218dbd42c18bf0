package notification_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"strings"
	"testing"

	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/pgstore"
	"github.com/grantflow/grantflow/pkg/pgtest"
	"github.com/grantflow/grantflow/services/notification"
	"github.com/grantflow/grantflow/services/notification/internal/store/postgres"
)

// rawSecret is the key behind a secret as CreateWebhook shows it (whsec_ + base64).
func rawSecret(t *testing.T, shown string) []byte {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(shown, "whsec_"))
	if err != nil || len(raw) != 32 {
		t.Fatalf("secret %q: %v", shown, err)
	}
	return raw
}

// storedSecret is what PostgreSQL holds in the subscription's row.
func storedSecret(t *testing.T, db *pgstore.DB, id string) []byte {
	t.Helper()
	var b []byte
	if err := db.Pool().QueryRow(t.Context(), "SELECT secret FROM webhooks WHERE id = $1", id).Scan(&b); err != nil {
		t.Fatal(err)
	}
	return b
}

// deliveredSigned sends one event to the subscription and waits until rcv has n hits, all
// signed with secret.
func deliveredSigned(t *testing.T, h *harness, rcv *receiver, eventID string, n int) {
	t.Helper()
	h.deliver(event(eventID, "request.done", "requests/"+eventID))
	eventually(t, eventID+" delivered", func() bool { return len(rcv.snapshot()) == n })
	for _, hit := range rcv.snapshot() {
		if hit.verifyErr != nil {
			t.Fatalf("delivery %s: %v", hit.id, hit.verifyErr)
		}
	}
}

// TestSecretSealedAtRest: PostgreSQL keeps a subscription's signing secret sealed under
// GRANTFLOW_SECRETS_KEY, never the secret itself, and the deliveries are signed with the
// secret CreateWebhook showed.
func TestSecretSealedAtRest(t *testing.T) {
	db := pgtest.NewDatabase(t, postgres.Schema.Options(""))
	h := newHarness(t, config{postgresURL: pgtest.URL(t)})
	rcv := newReceiver(t, nil)
	w, secret := h.create(rcv.URL, "request.*")
	raw := rawSecret(t, secret)
	stored := storedSecret(t, db, w.GetId())
	if len(stored) == len(raw) || bytes.Contains(stored, raw) {
		t.Fatalf("the store holds the secret in the clear: %x", stored)
	}
	rcv.setSecret(secret)
	deliveredSigned(t, h, rcv, "r1", 1)
}

// TestPlaintextSecretUpgrade: a row an earlier release wrote (the raw secret in the clear)
// still signs correctly, and the next start seals it in place.
func TestPlaintextSecretUpgrade(t *testing.T) {
	db := pgtest.NewDatabase(t, postgres.Schema.Options(""))
	url := pgtest.URL(t)
	old := newHarness(t, config{postgresURL: url})
	rcv := newReceiver(t, nil)
	w, secret := old.create(rcv.URL, "request.*")
	raw := rawSecret(t, secret)
	if _, err := db.Pool().Exec(t.Context(), "UPDATE webhooks SET secret = $2 WHERE id = $1", w.GetId(), raw); err != nil {
		t.Fatal(err)
	}
	rcv.setSecret(secret)
	deliveredSigned(t, old, rcv, "r1", 1)
	if stored := storedSecret(t, db, w.GetId()); !bytes.Equal(stored, raw) {
		t.Fatal("the plaintext row changed before a start")
	}

	upgraded := newHarness(t, config{postgresURL: url}) // its start seals the row
	stored := storedSecret(t, db, w.GetId())
	if len(stored) == len(raw) || bytes.Contains(stored, raw) {
		t.Fatalf("after a start the row still holds the secret in the clear: %x", stored)
	}
	deliveredSigned(t, upgraded, rcv, "r2", 2)
	// A second start leaves the sealed row alone.
	newHarness(t, config{postgresURL: url})
	if again := storedSecret(t, db, w.GetId()); !bytes.Equal(again, stored) {
		t.Fatal("a second start sealed the row again")
	}
}

// TestSecretsKeySetting: like identity, notification refuses to start on PostgreSQL
// without GRANTFLOW_SECRETS_KEY, or with a malformed one; the memory engine makes an
// ephemeral key and says so.
func TestSecretsKeySetting(t *testing.T) {
	for _, o := range []notification.Options{
		{Settings: kit.Settings{PostgresURL: "postgres://postgres@127.0.0.1:5432/none?sslmode=disable"}},
		{SecretsKey: "not-a-key"},
	} {
		o.Logger = slog.New(slog.DiscardHandler)
		if _, err := notification.New(context.Background(), o); err == nil || !strings.Contains(err.Error(), "GRANTFLOW_SECRETS_KEY") {
			t.Errorf("New(%q, key %q) = %v, want an error naming GRANTFLOW_SECRETS_KEY", o.PostgresURL, o.SecretsKey, err)
		}
	}
	var logs syncBuffer
	svc, err := notification.New(context.Background(), notification.Options{Settings: kit.Settings{Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	if err != nil {
		t.Fatal(err)
	}
	svc.Close()
	if !strings.Contains(logs.String(), "GRANTFLOW_SECRETS_KEY is not set") {
		t.Fatalf("no warning about the ephemeral key in %q", logs.String())
	}
}
