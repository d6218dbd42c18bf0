package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/services/audit/internal/app"
)

// auditConfig is what audit reads beyond the kit's config.
type auditConfig struct {
	signingKey         string
	signingKeyFile     string
	checkpointEvery    int
	checkpointInterval time.Duration
}

// loadConfig reads the kit's config and audit's own settings: defaults, then GRANTFLOW_*
// variables, then flags, then validation.
func loadConfig(args []string) (config.Config, auditConfig, error) {
	cfg := config.Default()
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	if err := cfg.Register(fs, os.LookupEnv); err != nil {
		return cfg, auditConfig{}, err
	}
	ac := auditConfig{checkpointEvery: app.DefaultCheckpointEvery, checkpointInterval: app.DefaultCheckpointInterval}
	var bad []string
	ac.signingKey = os.Getenv("GRANTFLOW_AUDIT_SIGNING_KEY") // a secret: never a flag, which ps would show
	ac.signingKeyFile = os.Getenv("GRANTFLOW_AUDIT_SIGNING_KEY_FILE")
	fs.StringVar(&ac.signingKeyFile, "signing-key-file", ac.signingKeyFile, "file holding the base64 Ed25519 seed that signs checkpoints (GRANTFLOW_AUDIT_SIGNING_KEY_FILE; or the key itself in GRANTFLOW_AUDIT_SIGNING_KEY)")
	if v, ok := os.LookupEnv("GRANTFLOW_AUDIT_CHECKPOINT_EVERY"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad = append(bad, fmt.Sprintf("GRANTFLOW_AUDIT_CHECKPOINT_EVERY=%q: want a whole number", v))
		}
		ac.checkpointEvery = n
	}
	fs.IntVar(&ac.checkpointEvery, "checkpoint-every", ac.checkpointEvery, "sign a checkpoint after this many events (GRANTFLOW_AUDIT_CHECKPOINT_EVERY)")
	if v, ok := os.LookupEnv("GRANTFLOW_AUDIT_CHECKPOINT_INTERVAL"); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			bad = append(bad, fmt.Sprintf("GRANTFLOW_AUDIT_CHECKPOINT_INTERVAL=%q: want a duration like 10s", v))
		}
		ac.checkpointInterval = d
	}
	fs.DurationVar(&ac.checkpointInterval, "checkpoint-interval", ac.checkpointInterval, "sign a checkpoint at least this often when events arrived (GRANTFLOW_AUDIT_CHECKPOINT_INTERVAL)")
	if len(bad) > 0 {
		return cfg, ac, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	if err := fs.Parse(args); err != nil {
		return cfg, ac, err
	}
	if ac.signingKeyFile != "" {
		raw, err := os.ReadFile(ac.signingKeyFile)
		if err != nil {
			return cfg, ac, fmt.Errorf("signing key file: %w", err)
		}
		if ac.signingKey != "" {
			return cfg, ac, fmt.Errorf("set GRANTFLOW_AUDIT_SIGNING_KEY or a signing key file, not both")
		}
		ac.signingKey = strings.TrimSpace(string(raw))
	}
	if ac.checkpointEvery <= 0 {
		return cfg, ac, fmt.Errorf("checkpoint every %d events: want a positive number", ac.checkpointEvery)
	}
	if ac.checkpointInterval <= 0 {
		return cfg, ac, fmt.Errorf("checkpoint interval %s: want a positive duration", ac.checkpointInterval)
	}
	return cfg, ac, cfg.Validate()
}
