package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	"github.com/grantflow/grantflow/pkg/config"
	"github.com/grantflow/grantflow/pkg/grpcclient"
	"github.com/grantflow/grantflow/pkg/kit"
	"github.com/grantflow/grantflow/pkg/process"
	"github.com/grantflow/grantflow/services/audit"
)

// recorder notes, per calling service, the services it dials.
type recorder struct {
	mu    sync.Mutex
	dials map[string][]string
}

func (r *recorder) wrap(d kit.Dialer) kit.Dialer {
	return func(from, to string) (*grpc.ClientConn, error) {
		r.mu.Lock()
		if !slices.Contains(r.dials[from], kit.Short(to)) {
			r.dials[from] = append(r.dials[from], kit.Short(to))
			slices.Sort(r.dials[from])
		}
		r.mu.Unlock()
		return d(from, to)
	}
}

func quietProcess(t *testing.T, cfg config.Config) *process.Process {
	t.Helper()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devnull.Close() })
	p, err := process.New(context.Background(), cfg, "wiring-test", process.Options{AllowRandomSecret: true, LogWriter: devnull})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return p
}

// The two ways to run assemble every service through its one constructor: in the
// all-in-one (one Set, the shared dialer) and in its own binary (a Set of one, each service
// at its address) each service dials the same services, and every connection of either
// way gets the one retry policy pkg/grpcclient builds from the protos' idempotency_level
// (TestRetryPolicyIsTheDeclaredLevels proves it names every NO_SIDE_EFFECTS and IDEMPOTENT
// method and no other).
func TestBothWaysToRunAssembleTheSame(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.LogLevel = "error"

	together := &recorder{dials: map[string][]string{}}
	p := quietProcess(t, cfg)
	if _, err := kit.Build(ctx, p, cfg, together.wrap(kit.Shared(p, process.NewInMemory())), allServices...); err != nil {
		t.Fatal(err)
	}
	apart := &recorder{dials: map[string][]string{}}
	for _, svc := range allServices {
		p := quietProcess(t, cfg)
		if _, err := kit.Build(ctx, p, cfg, apart.wrap(kit.Apart(p)), svc); err != nil {
			t.Fatalf("%s alone: %v", svc.Name, err)
		}
	}
	for _, svc := range allServices {
		a, b := together.dials[svc.Name], apart.dials[svc.Name]
		if !slices.Equal(a, b) {
			t.Errorf("%s dials %v in the all-in-one but %v in its own binary", svc.Name, a, b)
		}
	}
	// The drift this replaces: request calls identity (ResolveAssignees included: a
	// NO_SIDE_EFFECTS method, so retried on every connection), task, policy and review (the
	// origin of a review's request); task and identity deliver to request; identity delivers
	// to task (a user's new manager); identity and request deliver to review; review calls
	// identity, request and task; everyone delivers to audit, and all but audit to
	// notification, which calls identity and request for its messages' addresses and texts.
	for from, want := range map[string][]string{
		"grantflow-request":      {"audit", "identity", "notification", "policy", "review", "task"},
		"grantflow-review":       {"audit", "identity", "notification", "request", "task"},
		"grantflow-task":         {"audit", "identity", "notification", "request"},
		"grantflow-identity":     {"audit", "notification", "request", "review", "task"},
		"grantflow-policy":       {"audit", "identity", "notification"},
		"grantflow-audit":        {"request"},
		"grantflow-notification": {"identity", "request"},
	} {
		if got := apart.dials[from]; !slices.Equal(got, want) {
			t.Errorf("%s dials %v, want %v", from, got, want)
		}
	}
	if !slices.Contains(grpcclient.RetrySafe(), "grantflow.identity.v1.IdentityInternalService/ResolveAssignees") {
		t.Error("ResolveAssignees is not retried")
	}
	if !slices.Contains(grpcclient.RetrySafe(), "grantflow.events.v1.EventSinkService/DeliverEvents") {
		t.Error("event delivery is not retried")
	}
}

// The all-in-one signs audit checkpoints with the key of GRANTFLOW_AUDIT_SIGNING_KEY_FILE,
// read by pkg/config as the audit binary reads it.
func TestAllInOneHonoursTheSigningKeyFile(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "audit-signing-key")
	if err := os.WriteFile(file, []byte(base64.StdEncoding.EncodeToString(seed)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GRANTFLOW_AUDIT_SIGNING_KEY", "")
	os.Unsetenv("GRANTFLOW_AUDIT_SIGNING_KEY")
	t.Setenv("GRANTFLOW_AUDIT_SIGNING_KEY_FILE", file)
	t.Setenv("GRANTFLOW_AUDIT_CHECKPOINT_EVERY", "7")
	cfg, err := config.Load("grantflow", []string{"-grpc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-demo=false", "-log-level", "error"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AuditCheckpointEvery != 7 {
		t.Fatalf("GRANTFLOW_AUDIT_CHECKPOINT_EVERY not read: %d", cfg.AuditCheckpointEvery)
	}
	devnull, _ := os.Open(os.DevNull)
	defer devnull.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := start(ctx, cfg, devnull, process.Options{AllowRandomSecret: true, LogWriter: devnull})
	if a != nil {
		defer func() {
			if err := a.p.Shutdown(); err != nil {
				t.Errorf("shutdown: %v", err)
			}
		}()
	}
	if err != nil {
		t.Fatal(err)
	}
	svc, ok := a.services.Module("audit").(*audit.Service)
	if !ok {
		t.Fatal("no audit service in the all-in-one")
	}
	want := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if got := svc.PublicKey(); !bytes.Equal(got, want) {
		t.Fatalf("checkpoints are signed with %x, want the file's key %x", got, want)
	}
}

// Both ways to run give the notification service the process's GRANTFLOW_SECRETS_KEY (it
// seals the webhooks' signing secrets): a key of the wrong size stops it at start, in the
// all-in-one's Set as in its own binary's.
func TestNotificationTakesTheSecretsKey(t *testing.T) {
	ctx := context.Background()
	cfg := config.Default()
	cfg.LogLevel = "error"
	cfg.SecretsKey = base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))
	i := slices.IndexFunc(allServices, func(s kit.Service) bool { return s.Name == "grantflow-notification" })
	if i < 0 {
		t.Fatal("no notification service in the all-in-one")
	}
	p := quietProcess(t, cfg)
	for way, dial := range map[string]kit.Dialer{"all-in-one": kit.Shared(p, process.NewInMemory()), "own binary": kit.Apart(p)} {
		_, err := kit.Build(ctx, p, cfg, dial, allServices[i])
		if err == nil || !strings.Contains(err.Error(), "notification: GRANTFLOW_SECRETS_KEY") {
			t.Errorf("%s: Build = %v, want notification refusing the key", way, err)
		}
	}
}
