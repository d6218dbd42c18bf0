package identity_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"

	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	"github.com/grantflow/grantflow/pkg/stdwebhook"
)

// TestAppConnectors: the matrix's "Set Up Auto Provisioning" (an owner of that app, Admin,
// GM); the secret is generated and shown once, never read back, kept when the URL changes,
// replaced on rotation; the URL follows the webhook rules (400 naming the field, nothing
// written); the agent's internal read opens the secret; on PostgreSQL the stored secret is
// sealed, not the secret.
func TestAppConnectors(t *testing.T) {
	forEachEngine(t, func(t *testing.T, o harnessOptions) {
		h := newHarness(t, o)
		h.seedOrg()
		figma := h.apps["Figma"]
		set := func(who, url, secret string, rotate bool) (*identityv1.SetAppConnectorResponse, error) {
			return h.pub.SetAppConnector(h.As(who), &identityv1.SetAppConnectorRequest{AppId: figma, Url: url, Secret: secret, RotateSecret: rotate})
		}

		// Who may: the app's owner, Admin, GM; a user who owns another app, a manager, nobody else.
		for _, who := range []string{"vera", "mona", "uma"} {
			_, err := set(who, "https://hooks.example.com/figma", "", false)
			wantCode(t, err, codes.PermissionDenied)
			_, err = h.pub.GetAppConnector(h.As(who), &identityv1.GetAppConnectorRequest{AppId: figma})
			wantCode(t, err, codes.PermissionDenied)
		}
		_, err := h.pub.GetAppConnector(h.As("otto"), &identityv1.GetAppConnectorRequest{AppId: figma})
		wantCode(t, err, codes.NotFound)

		// Bad input: 400 naming the field, nothing written.
		for url, field := range map[string]string{
			"http://hooks.example.com/x":    "url",
			"https://127.0.0.1/x":           "url",
			"https://169.254.169.254/x":     "url",
			"https://u:p@hooks.example.com": "url",
			"not a url":                     "url",
		} {
			_, err := set("otto", url, "", false)
			wantBadField(t, err, field)
		}
		_, err = set("otto", "https://hooks.example.com/x", "whsec_short", false)
		wantBadField(t, err, "secret")
		_, err = set("otto", "https://hooks.example.com/x", stdwebhook.FormatSecret(stdwebhook.NewSecret()), true)
		wantBadField(t, err, "rotate_secret")
		_, err = h.pub.GetAppConnector(h.As("otto"), &identityv1.GetAppConnectorRequest{AppId: figma})
		wantCode(t, err, codes.NotFound)
		_, err = h.pub.SetAppConnector(h.As("otto"), &identityv1.SetAppConnectorRequest{AppId: "no-such-app", Url: "https://hooks.example.com/x"})
		wantCode(t, err, codes.NotFound)

		// Created by the owner: a generated secret, shown once.
		res, err := set("otto", "https://hooks.example.com/figma?token=abc", "", false)
		if err != nil {
			t.Fatal(err)
		}
		first, err := stdwebhook.ParseSecret(res.GetSecret())
		if err != nil || !res.GetConnector().GetHasSecret() || res.GetConnector().GetUpdatedBy() != h.IDs["otto"] {
			t.Fatalf("created: %v (%v)", res, err)
		}
		got, err := h.pub.GetAppConnector(h.As("admin"), &identityv1.GetAppConnectorRequest{AppId: figma})
		if err != nil || got.GetUrl() != "https://hooks.example.com/figma?token=abc" || !got.GetHasSecret() {
			t.Fatalf("GET: %v, %v", got, err)
		}
		agent := func() (string, []byte) {
			t.Helper()
			s, err := h.internal.GetAppConnectorSecret(h.system(), &identityv1.GetAppConnectorSecretRequest{AppId: figma})
			if err != nil {
				t.Fatal(err)
			}
			return s.GetUrl(), s.GetSecret()
		}
		if _, secret := agent(); !bytes.Equal(secret, first) {
			t.Fatal("the agent's secret is not the one shown")
		}
		// People never read it: the internal call refuses them.
		_, err = h.internal.GetAppConnectorSecret(h.As("admin"), &identityv1.GetAppConnectorSecretRequest{AppId: figma})
		if err == nil {
			t.Fatal("a person read the connector's secret")
		}

		// A new URL keeps the secret (none shown); a rotation replaces it (shown); a given one is used.
		res, err = set("admin", "https://hooks2.example.com/figma", "", false)
		if err != nil || res.GetSecret() != "" {
			t.Fatalf("URL change: %v, %v", res, err)
		}
		if url, secret := agent(); url != "https://hooks2.example.com/figma" || !bytes.Equal(secret, first) {
			t.Fatal("the URL change lost the secret")
		}
		res, err = set("gm", "https://hooks2.example.com/figma", "", true)
		if err != nil || res.GetSecret() == "" {
			t.Fatalf("rotation: %v, %v", res, err)
		}
		if _, secret := agent(); bytes.Equal(secret, first) {
			t.Fatal("the rotation kept the old secret")
		}
		mine := stdwebhook.NewSecret()
		if res, err = set("otto", "https://hooks2.example.com/figma", stdwebhook.FormatSecret(mine), false); err != nil || res.GetSecret() != "" {
			t.Fatalf("given secret: %v, %v", res, err)
		}
		if _, secret := agent(); !bytes.Equal(secret, mine) {
			t.Fatal("the given secret is not used")
		}

		// At rest: sealed.
		if o.postgresURL != "" {
			conn, err := pgx.Connect(context.Background(), o.postgresURL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			var sealed []byte
			if err := conn.QueryRow(context.Background(), "SELECT sealed_secret FROM identity.app_connectors WHERE app_id = $1", figma).Scan(&sealed); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(sealed, mine) || strings.Contains(string(sealed), base64.StdEncoding.EncodeToString(mine)) {
				t.Fatal("the secret is stored in the clear")
			}
		}

		// Delete: owner may; then none.
		if _, err := h.pub.DeleteAppConnector(h.As("uma"), &identityv1.DeleteAppConnectorRequest{AppId: figma}); err == nil {
			t.Fatal("uma deleted the connector")
		}
		if _, err := h.pub.DeleteAppConnector(h.As("otto"), &identityv1.DeleteAppConnectorRequest{AppId: figma}); err != nil {
			t.Fatal(err)
		}
		_, err = h.internal.GetAppConnectorSecret(h.system(), &identityv1.GetAppConnectorSecretRequest{AppId: figma})
		wantCode(t, err, codes.NotFound)
		_, err = h.pub.DeleteAppConnector(h.As("otto"), &identityv1.DeleteAppConnectorRequest{AppId: figma})
		wantCode(t, err, codes.NotFound)
	})
}

// TestPostgresNeedsTheSecretsKey: on PostgreSQL identity refuses to start without
// GRANTFLOW_SECRETS_KEY, saying so; a malformed key too.
func TestPostgresNeedsTheSecretsKey(t *testing.T) {
	_, err := identityNew(t, "postgres://postgres@127.0.0.1:5432/none?sslmode=disable", "")
	if err == nil || !strings.Contains(err.Error(), "GRANTFLOW_SECRETS_KEY") {
		t.Fatalf("no key: %v", err)
	}
	_, err = identityNew(t, "", "not-a-key")
	if err == nil || !strings.Contains(err.Error(), "GRANTFLOW_SECRETS_KEY") {
		t.Fatalf("a bad key: %v", err)
	}
}
