package config

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLayers(t *testing.T) {
	env := map[string]string{"GRANTFLOW_HTTP_ADDR": ":7000", "GRANTFLOW_DEMO": "0", "GRANTFLOW_SHUTDOWN_TIMEOUT": "3s", "GRANTFLOW_METRICS_ADDR": "127.0.0.1:9464"}
	c := Default()
	if c.MetricsAddr != "" {
		t.Fatalf("metrics listener on by default: %q", c.MetricsAddr)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	if err := c.Register(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"-grpc-addr", "127.0.0.1:9999"}); err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":7000" || c.Demo || c.ShutdownTimeout != 3*time.Second || c.GRPCAddr != "127.0.0.1:9999" || c.LogLevel != "info" || c.MetricsAddr != "127.0.0.1:9464" {
		t.Fatalf("layers not applied: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestBadSettingsAreAllReported(t *testing.T) {
	env := map[string]string{"GRANTFLOW_DEMO": "maybe", "GRANTFLOW_SHUTDOWN_TIMEOUT": "soon"}
	c := Default()
	err := c.Register(flag.NewFlagSet("t", flag.ContinueOnError), func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil || !strings.Contains(err.Error(), "GRANTFLOW_DEMO") || !strings.Contains(err.Error(), "GRANTFLOW_SHUTDOWN_TIMEOUT") {
		t.Fatalf("want both env errors, got %v", err)
	}
	c = Default()
	c.GRPCAddr = "nope"
	c.PostgresURL = "mysql://x"
	c.InternalSecret = "short"
	c.LogLevel = "loud"
	c.MetricsAddr = "9464"
	err = c.Validate()
	for _, want := range []string{"GRANTFLOW_GRPC_ADDR", "GRANTFLOW_POSTGRES_URL", "GRANTFLOW_INTERNAL_SECRET", "GRANTFLOW_LOG_LEVEL", "GRANTFLOW_METRICS_ADDR"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate should name %s; got %v", want, err)
		}
	}
}

func TestAuditSigningKeyFile(t *testing.T) {
	file := t.TempDir() + "/key"
	if err := os.WriteFile(file, []byte("c2VlZA==\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.AuditSigningKeyFile = file
	if err := c.ReadFiles(); err != nil || c.AuditSigningKey != "c2VlZA==" {
		t.Fatalf("key file not read: %q %v", c.AuditSigningKey, err)
	}
	c = Default()
	c.AuditSigningKey, c.AuditSigningKeyFile = "x", file
	if err := c.ReadFiles(); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("both a key and a key file: want an error, got %v", err)
	}
	c = Default()
	c.AuditCheckpointEvery, c.AuditCheckpointInterval = 0, 0
	err := c.Validate()
	for _, want := range []string{"GRANTFLOW_AUDIT_CHECKPOINT_EVERY", "GRANTFLOW_AUDIT_CHECKPOINT_INTERVAL"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate should name %s; got %v", want, err)
		}
	}
	if got := Default().Addr("grantflow-task"); got != "127.0.0.1:9094" {
		t.Errorf("Addr(grantflow-task) = %q", got)
	}
}

// TestNotificationSettings: the SMTP URL and the Slack token (secrets) come from the
// environment only; the console URL has a default and must be an http(s) URL.
func TestNotificationSettings(t *testing.T) {
	env := map[string]string{"GRANTFLOW_SMTP_URL": "smtp://u:p@mail:587", "GRANTFLOW_SMTP_FROM": "gf@example.com",
		"GRANTFLOW_SLACK_BOT_TOKEN": "xoxb-1", "GRANTFLOW_SLACK_API_URL": "http://127.0.0.1:1/api/"}
	c := Default()
	if c.ConsoleURL != "http://localhost:8080/console" {
		t.Fatalf("console URL default %q", c.ConsoleURL)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	if err := c.Register(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok }); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"-console-url", "https://gf.example.com/console"}); err != nil {
		t.Fatal(err)
	}
	if c.SMTPURL != env["GRANTFLOW_SMTP_URL"] || c.SMTPFrom != "gf@example.com" || c.SlackBotToken != "xoxb-1" ||
		c.SlackAPIURL != env["GRANTFLOW_SLACK_API_URL"] || c.ConsoleURL != "https://gf.example.com/console" {
		t.Fatalf("settings: %+v", c)
	}
	for _, secret := range []string{"smtp-url", "slack-bot-token"} {
		if fs.Lookup(secret) != nil {
			t.Errorf("a secret as the flag -%s", secret)
		}
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.ConsoleURL = "console"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "GRANTFLOW_CONSOLE_URL") {
		t.Fatalf("a bad console URL: %v", err)
	}
}

func TestSecretsKeyAndRetentions(t *testing.T) {
	file := t.TempDir() + "/key"
	const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if c.WebhookRetention != 30*24*time.Hour || c.WatchRetention != 7*24*time.Hour {
		t.Errorf("default retentions %s, %s", c.WebhookRetention, c.WatchRetention)
	}
	c.SecretsKeyFile = file
	if err := c.ReadFiles(); err != nil || c.SecretsKey != key || c.Validate() != nil {
		t.Fatalf("key file not read: %q %v %v", c.SecretsKey, err, c.Validate())
	}
	c.SecretsKeyFile = file
	if err := c.ReadFiles(); err == nil || !strings.Contains(err.Error(), "GRANTFLOW_SECRETS_KEY") {
		t.Fatalf("both a key and a key file: %v", err)
	}
	c = Default()
	c.SecretsKey, c.WebhookRetention, c.WatchRetention = "c2hvcnQ=", 0, -time.Hour
	err := c.Validate()
	for _, want := range []string{"GRANTFLOW_SECRETS_KEY", "GRANTFLOW_WEBHOOK_RETENTION", "GRANTFLOW_WATCH_RETENTION"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate should name %s; got %v", want, err)
		}
	}
}

// A service's address may list its replicas; every item must be host:port.
func TestServiceAddressesMayListReplicas(t *testing.T) {
	c := Default()
	c.RequestAddr = "127.0.0.1:9093, 127.0.0.1:10093"
	if err := c.Validate(); err != nil {
		t.Fatalf("two replicas' addresses refused: %v", err)
	}
	c.TaskAddr = "127.0.0.1:9094,nonsense"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "GRANTFLOW_TASK_ADDR") {
		t.Fatalf("a bad item of a list: want an error naming GRANTFLOW_TASK_ADDR, got %v", err)
	}
	c = Default()
	c.GRPCAddr = "127.0.0.1:9093,127.0.0.1:10093"
	if err := c.Validate(); err == nil {
		t.Fatal("a list as this process's own listen address was accepted")
	}
}
