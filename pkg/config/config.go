package config

import (
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is every setting a Grantflow process reads.
type Config struct {
	// GRPCAddr is where this process serves gRPC (GRANTFLOW_GRPC_ADDR).
	GRPCAddr string
	// HTTPAddr is where the gateway serves REST (GRANTFLOW_HTTP_ADDR).
	HTTPAddr string
	// MetricsAddr, if set, is where this process serves its Prometheus metrics as
	// GET /metrics (GRANTFLOW_METRICS_ADDR), in the all-in-one and the distributed mode
	// alike. Empty (the default): no such listener.
	MetricsAddr string
	// MetricsOnHTTP also serves GET /metrics on the gateway's public REST address
	// (GRANTFLOW_METRICS_ON_HTTP; off by default: the metrics name every route and code).
	MetricsOnHTTP bool
	// PostgresURL switches storage from the memory engine to PostgreSQL (GRANTFLOW_POSTGRES_URL).
	PostgresURL string
	// RedisURL enables the Redis cache and rate limiter (GRANTFLOW_REDIS_URL).
	RedisURL string
	// InternalSecret signs internal caller tokens; every process of a deployment shares it
	// (GRANTFLOW_INTERNAL_SECRET, at least 32 bytes). The all-in-one process makes one up.
	InternalSecret string
	// BootstrapAdminKey, if set, is an API key of an Admin that exists from the start
	// (GRANTFLOW_BOOTSTRAP_ADMIN_KEY).
	BootstrapAdminKey string
	// Demo seeds and prints the demo organization in the all-in-one process (GRANTFLOW_DEMO).
	Demo bool
	// OIDCIssuer and OIDCAudience enable OIDC bearer tokens (GRANTFLOW_OIDC_ISSUER, GRANTFLOW_OIDC_AUDIENCE).
	OIDCIssuer   string
	OIDCAudience string
	// Where each service answers, in the distributed mode (GRANTFLOW_<SERVICE>_ADDR).
	IdentityAddr, PolicyAddr, RequestAddr, TaskAddr, AuditAddr, ReviewAddr, NotificationAddr string
	// RateLimit is the calls per second each principal may make through the gateway
	// (bursts of twice that); 0 disables the limit (GRANTFLOW_RATE_LIMIT).
	RateLimit int
	// AuthFailureLimit is how many failed or unauthenticated calls a client address may
	// make per minute (in bursts of as many) at the gateway and at every public gRPC port
	// before it gets 429 / RESOURCE_EXHAUSTED; 0 disables the limit
	// (GRANTFLOW_AUTH_FAILURE_LIMIT).
	AuthFailureLimit int
	// LogLevel: debug, info, warn, error (GRANTFLOW_LOG_LEVEL); empty: warn for text on a
	// terminal, info otherwise.
	LogLevel string
	// LogFormat: json or text (GRANTFLOW_LOG_FORMAT); empty: text on a terminal, JSON
	// otherwise.
	LogFormat string
	// ShutdownTimeout bounds a graceful stop (GRANTFLOW_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration
	// StreamRecheck is how often a server stream (a watch) has its caller's credential
	// authenticated again while it lasts: how soon an offboarded user, or a revoked API key,
	// loses an open watch (GRANTFLOW_STREAM_RECHECK); 0: auth.DefaultStreamRecheck (30 s).
	StreamRecheck time.Duration

	// AuditSigningKey is the audit checkpoints' Ed25519 seed, base64
	// (GRANTFLOW_AUDIT_SIGNING_KEY; a secret: never a flag, which ps would show), or read
	// by Load from AuditSigningKeyFile (GRANTFLOW_AUDIT_SIGNING_KEY_FILE). Empty: audit
	// makes a development key and warns.
	AuditSigningKey     string
	AuditSigningKeyFile string
	// AuditCheckpointEvery and AuditCheckpointInterval pace audit's signed checkpoints
	// (GRANTFLOW_AUDIT_CHECKPOINT_EVERY, GRANTFLOW_AUDIT_CHECKPOINT_INTERVAL).
	AuditCheckpointEvery    int
	AuditCheckpointInterval time.Duration

	// WebhookAllowPrivate lets webhooks reach loopback, private and link-local addresses,
	// over plain http too (GRANTFLOW_WEBHOOK_ALLOW_PRIVATE): development and tests only.
	WebhookAllowPrivate bool
	// WebhookLease is how long an attempt holds its delivery before another dispatcher may
	// take it over (GRANTFLOW_WEBHOOK_LEASE).
	WebhookLease time.Duration

	// SMTPURL is the email server: smtp://user:pass@host:port (STARTTLS when the server
	// offers it) or smtps://user:pass@host:port (implicit TLS) (GRANTFLOW_SMTP_URL; it holds
	// a password: never a flag). Empty: no email. SMTPFrom is the sender's address
	// (GRANTFLOW_SMTP_FROM). The notification service checks both at start: broken, it says
	// so and runs without email.
	SMTPURL  string
	SMTPFrom string
	// SlackBotToken is the Slack bot token (xoxb-...) of the direct messages
	// (GRANTFLOW_SLACK_BOT_TOKEN; a secret: never a flag); empty: no Slack. SlackAPIURL is
	// another Web API endpoint (GRANTFLOW_SLACK_API_URL; empty: Slack's own).
	SlackBotToken string
	SlackAPIURL   string
	// ConsoleURL is the web console's address the messages link under
	// (GRANTFLOW_CONSOLE_URL).
	ConsoleURL string

	// WebhookRetention is how long finished webhook deliveries (succeeded or failed) are
	// kept before they are pruned (GRANTFLOW_WEBHOOK_RETENTION, default 30 days).
	WebhookRetention time.Duration
	// WatchRetention is how long the change logs behind the watch streams (WatchRequest's,
	// WatchTasks') keep a change before it is pruned (GRANTFLOW_WATCH_RETENTION, default 7
	// days): a watch resumed from an older position is refused and the client lists again.
	WatchRetention time.Duration

	// SecretsKey encrypts the secrets a service keeps to use again (apps' connector
	// secrets, webhooks' signing secrets), base64 of 32 bytes (GRANTFLOW_SECRETS_KEY; a
	// secret: never a flag), or read by Load from SecretsKeyFile (GRANTFLOW_SECRETS_KEY_FILE).
	// Required by identity and notification on PostgreSQL; on the memory engine they make an
	// ephemeral one and warn (kit.Settings.SecretsBox).
	SecretsKey     string
	SecretsKeyFile string
}

// Default is the configuration of a laptop run.
func Default() Config {
	return Config{
		GRPCAddr:         ":9090",
		HTTPAddr:         ":8080",
		Demo:             true,
		IdentityAddr:     "127.0.0.1:9091",
		PolicyAddr:       "127.0.0.1:9092",
		RequestAddr:      "127.0.0.1:9093",
		TaskAddr:         "127.0.0.1:9094",
		AuditAddr:        "127.0.0.1:9095",
		ReviewAddr:       "127.0.0.1:9096",
		NotificationAddr: "127.0.0.1:9097",
		LogLevel:         "info",
		ShutdownTimeout:  15 * time.Second,
		RateLimit:        100,
		AuthFailureLimit: 60,

		AuditCheckpointEvery:    1000,
		AuditCheckpointInterval: 10 * time.Second,

		WebhookLease:     time.Minute,
		ConsoleURL:       "http://localhost:8080/console",
		WebhookRetention: 30 * 24 * time.Hour,
		WatchRetention:   7 * 24 * time.Hour,
	}
}

// Load reads defaults, then the environment, then args (flags), and validates.
func Load(name string, args []string) (Config, error) {
	c := Default()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	if err := c.Register(fs, os.LookupEnv); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := c.ReadFiles(); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// ReadFiles reads the settings given as files (GRANTFLOW_AUDIT_SIGNING_KEY_FILE,
// GRANTFLOW_SECRETS_KEY_FILE) into their fields. Giving both a setting and its file is an
// error.
func (c *Config) ReadFiles() error {
	return errors.Join(
		readFile(&c.AuditSigningKey, c.AuditSigningKeyFile, "GRANTFLOW_AUDIT_SIGNING_KEY"),
		readFile(&c.SecretsKey, c.SecretsKeyFile, "GRANTFLOW_SECRETS_KEY"))
}

func readFile(value *string, file, name string) error {
	if file == "" {
		return nil
	}
	if *value != "" {
		return fmt.Errorf("set %s or %s_FILE, not both", name, name)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("%s_FILE: %w", name, err)
	}
	*value = strings.TrimSpace(string(raw))
	return nil
}

// Addr is where the service named name ("identity", "grantflow-identity") answers in the
// distributed mode, or "" for a name it does not know.
func (c Config) Addr(name string) string {
	switch strings.TrimPrefix(name, "grantflow-") {
	case "identity":
		return c.IdentityAddr
	case "policy":
		return c.PolicyAddr
	case "request":
		return c.RequestAddr
	case "task":
		return c.TaskAddr
	case "audit":
		return c.AuditAddr
	case "review":
		return c.ReviewAddr
	case "notification":
		return c.NotificationAddr
	}
	return ""
}

// Register binds every field to a flag whose default is the environment variable's value
// (or the field's current value). It fails on an environment value that does not parse.
func (c *Config) Register(fs *flag.FlagSet, env func(string) (string, bool)) error {
	var bad []error
	str := func(p *string, flagName, envName, usage string) {
		fromEnv(env, &bad, p, envName, func(v string) (string, error) { return v, nil }, "")
		fs.StringVar(p, flagName, *p, usage+" ("+envName+")")
	}
	boolean := func(p *bool, flagName, envName, usage string) {
		fromEnv(env, &bad, p, envName, strconv.ParseBool, "true/false/1/0")
		fs.BoolVar(p, flagName, *p, usage+" ("+envName+")")
	}
	integer := func(p *int, flagName, envName, usage string) {
		fromEnv(env, &bad, p, envName, strconv.Atoi, "a whole number")
		fs.IntVar(p, flagName, *p, usage+" ("+envName+")")
	}
	duration := func(p *time.Duration, flagName, envName, usage string) {
		fromEnv(env, &bad, p, envName, time.ParseDuration, "a duration like 15s")
		fs.DurationVar(p, flagName, *p, usage+" ("+envName+")")
	}
	str(&c.GRPCAddr, "grpc-addr", "GRANTFLOW_GRPC_ADDR", "gRPC listen address")
	str(&c.HTTPAddr, "http-addr", "GRANTFLOW_HTTP_ADDR", "REST listen address")
	str(&c.MetricsAddr, "metrics-addr", "GRANTFLOW_METRICS_ADDR", "listen address of GET /metrics (Prometheus); empty: none")
	boolean(&c.MetricsOnHTTP, "metrics-on-http", "GRANTFLOW_METRICS_ON_HTTP", "also serve GET /metrics on the public REST address")
	str(&c.PostgresURL, "postgres-url", "GRANTFLOW_POSTGRES_URL", "PostgreSQL URL; empty: memory engine")
	str(&c.RedisURL, "redis-url", "GRANTFLOW_REDIS_URL", "Redis URL; empty: no cache")
	str(&c.InternalSecret, "internal-secret", "GRANTFLOW_INTERNAL_SECRET", "secret shared by the services to sign internal caller tokens")
	str(&c.BootstrapAdminKey, "bootstrap-admin-key", "GRANTFLOW_BOOTSTRAP_ADMIN_KEY", "API key of an Admin that exists from the start")
	boolean(&c.Demo, "demo", "GRANTFLOW_DEMO", "seed and print the demo organization (all-in-one)")
	str(&c.OIDCIssuer, "oidc-issuer", "GRANTFLOW_OIDC_ISSUER", "OIDC issuer URL whose tokens are accepted")
	str(&c.OIDCAudience, "oidc-audience", "GRANTFLOW_OIDC_AUDIENCE", "audience OIDC tokens must carry")
	str(&c.IdentityAddr, "identity-addr", "GRANTFLOW_IDENTITY_ADDR", "identity service address")
	str(&c.PolicyAddr, "policy-addr", "GRANTFLOW_POLICY_ADDR", "policy service address")
	str(&c.RequestAddr, "request-addr", "GRANTFLOW_REQUEST_ADDR", "request service address")
	str(&c.TaskAddr, "task-addr", "GRANTFLOW_TASK_ADDR", "task service address")
	str(&c.AuditAddr, "audit-addr", "GRANTFLOW_AUDIT_ADDR", "audit service address")
	str(&c.ReviewAddr, "review-addr", "GRANTFLOW_REVIEW_ADDR", "review service address")
	str(&c.NotificationAddr, "notification-addr", "GRANTFLOW_NOTIFICATION_ADDR", "notification service address")
	integer(&c.RateLimit, "rate-limit", "GRANTFLOW_RATE_LIMIT", "calls per second per principal at the gateway; 0 disables")
	integer(&c.AuthFailureLimit, "auth-failure-limit", "GRANTFLOW_AUTH_FAILURE_LIMIT", "failed or unauthenticated calls per minute per client address before 429; 0 disables")
	str(&c.LogLevel, "log-level", "GRANTFLOW_LOG_LEVEL", "debug, info, warn or error (default: warn on a terminal, info otherwise)")
	str(&c.LogFormat, "log-format", "GRANTFLOW_LOG_FORMAT", "json or text (default: text on a terminal, json otherwise)")
	duration(&c.ShutdownTimeout, "shutdown-timeout", "GRANTFLOW_SHUTDOWN_TIMEOUT", "how long a graceful stop may take")
	duration(&c.StreamRecheck, "stream-recheck", "GRANTFLOW_STREAM_RECHECK", "how often an open watch's caller is authenticated again (0: 30s)")
	if v, ok := env("GRANTFLOW_AUDIT_SIGNING_KEY"); ok {
		c.AuditSigningKey = v // a secret: no flag
	}
	str(&c.AuditSigningKeyFile, "signing-key-file", "GRANTFLOW_AUDIT_SIGNING_KEY_FILE", "file holding the base64 Ed25519 seed that signs audit checkpoints (or the key itself in GRANTFLOW_AUDIT_SIGNING_KEY)")
	integer(&c.AuditCheckpointEvery, "checkpoint-every", "GRANTFLOW_AUDIT_CHECKPOINT_EVERY", "sign an audit checkpoint after this many events")
	duration(&c.AuditCheckpointInterval, "checkpoint-interval", "GRANTFLOW_AUDIT_CHECKPOINT_INTERVAL", "sign an audit checkpoint at least this often when events arrived")
	boolean(&c.WebhookAllowPrivate, "webhook-allow-private", "GRANTFLOW_WEBHOOK_ALLOW_PRIVATE", "let webhooks reach loopback, private and link-local addresses over http too (development and tests only)")
	duration(&c.WebhookLease, "webhook-lease", "GRANTFLOW_WEBHOOK_LEASE", "how long a webhook attempt holds its delivery before another dispatcher may take it over")
	if v, ok := env("GRANTFLOW_SMTP_URL"); ok {
		c.SMTPURL = v // holds a password: no flag
	}
	str(&c.SMTPFrom, "smtp-from", "GRANTFLOW_SMTP_FROM", "the sender address of notification emails")
	if v, ok := env("GRANTFLOW_SLACK_BOT_TOKEN"); ok {
		c.SlackBotToken = v // a secret: no flag
	}
	str(&c.SlackAPIURL, "slack-api-url", "GRANTFLOW_SLACK_API_URL", "the Slack Web API endpoint (empty: Slack's own)")
	str(&c.ConsoleURL, "console-url", "GRANTFLOW_CONSOLE_URL", "the web console's address that notification messages link under")
	if u, err := url.Parse(c.ConsoleURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad = append(bad, fmt.Errorf("GRANTFLOW_CONSOLE_URL=%q: want an http(s) URL like https://grantflow.example.com/console", c.ConsoleURL))
	}
	duration(&c.WebhookRetention, "webhook-retention", "GRANTFLOW_WEBHOOK_RETENTION", "how long finished webhook deliveries are kept before they are pruned")
	duration(&c.WatchRetention, "watch-retention", "GRANTFLOW_WATCH_RETENTION", "how long the watch streams' change logs keep a change before it is pruned")
	if v, ok := env("GRANTFLOW_SECRETS_KEY"); ok {
		c.SecretsKey = v // a secret: no flag
	}
	str(&c.SecretsKeyFile, "secrets-key-file", "GRANTFLOW_SECRETS_KEY_FILE", "file holding the base64 AES-256 key that encrypts stored secrets such as app connectors' and webhooks' (or the key itself in GRANTFLOW_SECRETS_KEY)")
	return errors.Join(bad...)
}

// fromEnv sets *p to the environment variable envName's value, parsed, when it is set; a
// value that does not parse (*p is then parse's zero answer) is added to bad, saying what
// the variable wants.
func fromEnv[T any](env func(string) (string, bool), bad *[]error, p *T, envName string, parse func(string) (T, error), want string) {
	v, ok := env(envName)
	if !ok {
		return
	}
	parsed, err := parse(v)
	if err != nil {
		*bad = append(*bad, fmt.Errorf("%s=%q: want %s", envName, v, want))
	}
	*p = parsed
}

// Validate reports every bad setting at once.
func (c Config) Validate() error {
	var bad []error
	for name, addr := range map[string]string{"GRANTFLOW_GRPC_ADDR": c.GRPCAddr, "GRANTFLOW_HTTP_ADDR": c.HTTPAddr} {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			bad = append(bad, fmt.Errorf("%s=%q: want host:port", name, addr))
		}
	}
	// A service's address may list its replicas: host:port,host:port (grpcclient.Dial
	// balances over them).
	for name, addrs := range map[string]string{
		"GRANTFLOW_IDENTITY_ADDR": c.IdentityAddr, "GRANTFLOW_POLICY_ADDR": c.PolicyAddr,
		"GRANTFLOW_REQUEST_ADDR": c.RequestAddr, "GRANTFLOW_TASK_ADDR": c.TaskAddr,
		"GRANTFLOW_AUDIT_ADDR":        c.AuditAddr,
		"GRANTFLOW_REVIEW_ADDR":       c.ReviewAddr,
		"GRANTFLOW_NOTIFICATION_ADDR": c.NotificationAddr,
	} {
		for addr := range strings.SplitSeq(addrs, ",") {
			if _, _, err := net.SplitHostPort(strings.TrimSpace(addr)); err != nil {
				bad = append(bad, fmt.Errorf("%s=%q: want host:port, or several as host:port,host:port", name, addrs))
				break
			}
		}
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			bad = append(bad, fmt.Errorf("GRANTFLOW_METRICS_ADDR=%q: want host:port, or nothing for no metrics listener", c.MetricsAddr))
		}
	}
	if c.PostgresURL != "" {
		if u, err := url.Parse(c.PostgresURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad = append(bad, fmt.Errorf("GRANTFLOW_POSTGRES_URL: want postgres://user@host:port/db"))
		}
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			bad = append(bad, fmt.Errorf("GRANTFLOW_REDIS_URL: want redis://host:port/db"))
		}
	}
	if c.InternalSecret != "" && len(c.InternalSecret) < 32 {
		bad = append(bad, errors.New("GRANTFLOW_INTERNAL_SECRET: at least 32 bytes"))
	}
	if c.BootstrapAdminKey != "" && len(c.BootstrapAdminKey) < 16 {
		bad = append(bad, errors.New("GRANTFLOW_BOOTSTRAP_ADMIN_KEY: at least 16 characters"))
	}
	if c.OIDCIssuer != "" && c.OIDCAudience == "" {
		bad = append(bad, errors.New("GRANTFLOW_OIDC_AUDIENCE: required with GRANTFLOW_OIDC_ISSUER"))
	}
	switch c.LogFormat {
	case "", "json", "text":
	default:
		bad = append(bad, fmt.Errorf("GRANTFLOW_LOG_FORMAT=%q: want json or text", c.LogFormat))
	}
	switch c.LogLevel {
	case "", "debug", "info", "warn", "error":
	default:
		bad = append(bad, fmt.Errorf("GRANTFLOW_LOG_LEVEL=%q: want debug, info, warn or error", c.LogLevel))
	}
	if c.RateLimit < 0 {
		bad = append(bad, errors.New("GRANTFLOW_RATE_LIMIT: must be 0 (off) or positive"))
	}
	if c.AuthFailureLimit < 0 {
		bad = append(bad, errors.New("GRANTFLOW_AUTH_FAILURE_LIMIT: must be 0 (off) or positive"))
	}
	if c.ShutdownTimeout <= 0 {
		bad = append(bad, errors.New("GRANTFLOW_SHUTDOWN_TIMEOUT: must be positive"))
	}
	if c.StreamRecheck < 0 {
		bad = append(bad, errors.New("GRANTFLOW_STREAM_RECHECK: must be positive (or 0: the default, 30s)"))
	}
	if c.AuditCheckpointEvery <= 0 {
		bad = append(bad, fmt.Errorf("GRANTFLOW_AUDIT_CHECKPOINT_EVERY=%d: want a positive number", c.AuditCheckpointEvery))
	}
	if c.AuditCheckpointInterval <= 0 {
		bad = append(bad, fmt.Errorf("GRANTFLOW_AUDIT_CHECKPOINT_INTERVAL=%s: want a positive duration", c.AuditCheckpointInterval))
	}
	if c.WatchRetention <= 0 {
		bad = append(bad, fmt.Errorf("GRANTFLOW_WATCH_RETENTION=%s: want a positive duration", c.WatchRetention))
	}
	if c.WebhookRetention <= 0 {
		bad = append(bad, fmt.Errorf("GRANTFLOW_WEBHOOK_RETENTION=%s: want a positive duration", c.WebhookRetention))
	}
	if c.SecretsKey != "" {
		if raw, err := base64.StdEncoding.DecodeString(c.SecretsKey); err != nil || len(raw) != 32 {
			bad = append(bad, errors.New("GRANTFLOW_SECRETS_KEY: want standard base64 of 32 bytes (openssl rand -base64 32)"))
		}
	}
	if c.WebhookLease <= 0 {
		bad = append(bad, fmt.Errorf("GRANTFLOW_WEBHOOK_LEASE=%s: want a positive duration", c.WebhookLease))
	}
	if u, err := url.Parse(c.ConsoleURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad = append(bad, fmt.Errorf("GRANTFLOW_CONSOLE_URL=%q: want an http(s) URL like https://grantflow.example.com/console", c.ConsoleURL))
	}
	return errors.Join(bad...)
}
