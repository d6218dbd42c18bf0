package kit

import (
	"fmt"

	"github.com/grantflow/grantflow/pkg/secretbox"
)

// SecretsBox is the box that seals the secrets service keeps to use again (what: "the
// apps' connector secrets") under key (GRANTFLOW_SECRETS_KEY or _FILE), which PostgreSQL
// requires: a secret sealed under a key made up at start could never be opened after a
// restart. On the memory engine, which forgets everything at a restart anyway, an
// ephemeral key when none is set, with a warning.
func (s Settings) SecretsBox(service, key, what string) (*secretbox.Box, error) {
	if key == "" {
		if s.PostgresURL != "" {
			return nil, fmt.Errorf("%s: GRANTFLOW_SECRETS_KEY (or GRANTFLOW_SECRETS_KEY_FILE) is required with PostgreSQL: it encrypts %s at rest; make one with: openssl rand -base64 32", service, what)
		}
		Logger(s.Logger).Warn(service + ": GRANTFLOW_SECRETS_KEY is not set: " + what + " are sealed under an ephemeral key (memory engine only)")
		return secretbox.New(secretbox.NewKey())
	}
	raw, err := secretbox.ParseKey(key)
	if err != nil {
		return nil, fmt.Errorf("%s: GRANTFLOW_SECRETS_KEY: %w", service, err)
	}
	return secretbox.New(raw)
}
