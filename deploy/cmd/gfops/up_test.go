package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReplicaAddresses(t *testing.T) {
	for _, c := range []struct {
		svc, configured string
		replicas        int
		want            []string
	}{
		{"request", "", 1, []string{"127.0.0.1:9093"}},
		{"request", "", 2, []string{"127.0.0.1:9093", "127.0.0.1:9193"}},
		{"identity", "", 3, []string{"127.0.0.1:9093"}}, // not replicated: one process
		{"task", "127.0.0.1:18594", 2, []string{"127.0.0.1:18594", "127.0.0.1:18694"}},
		{"audit", "127.0.0.1:1, 127.0.0.1:2,127.0.0.1:3", 1, []string{"127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"}},
	} {
		got, err := replicaAddrs(c.svc, c.configured, "127.0.0.1:9093", c.replicas)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("replicaAddrs(%s, %q, %d) = %v, %v; want %v", c.svc, c.configured, c.replicas, got, err, c.want)
		}
	}
	if _, err := replicaAddrs("request", "nonsense", "", 1); err == nil {
		t.Error("an address without a port is accepted")
	}
}

func TestProcessNames(t *testing.T) {
	top := &topology{httpAddr: ":8080", addrs: map[string][]string{"request": {"127.0.0.1:9093", "127.0.0.1:9193"}, "policy": {"127.0.0.1:9092"}}}
	if got := top.instances("request"); !slices.Equal(got, []string{"request", "request-2"}) {
		t.Errorf("instances(request) = %v", got)
	}
	for name, want := range map[string]string{"request": "127.0.0.1:9093", "request-2": "127.0.0.1:9193", "policy": "127.0.0.1:9092", "gateway": ":8080"} {
		if got := top.addrOf(name); got != want {
			t.Errorf("addrOf(%s) = %s, want %s", name, got, want)
		}
	}
	if got := top.metricsAddr("request-2"); got != "127.0.0.1:10193" {
		t.Errorf("metricsAddr(request-2) = %s", got)
	}
	if got := top.metricsAddr("gateway"); got != "127.0.0.1:9080" {
		t.Errorf("metricsAddr(gateway) = %s", got)
	}
	for in, want := range map[string]string{":8080": "127.0.0.1:8080", "0.0.0.0:1": "127.0.0.1:1", "[::]:2": "[::1]:2", "10.0.0.1:3": "10.0.0.1:3"} {
		if got := dialAddr(in); got != want {
			t.Errorf("dialAddr(%s) = %s, want %s", in, got, want)
		}
	}
	for in, want := range map[string]string{"redis://127.0.0.1:6379/0": "127.0.0.1:6379", "redis://:pw@cache/3": "cache:6379", "redis://u:p@h:7000": "h:7000"} {
		if got := redisAddr(in); got != want {
			t.Errorf("redisAddr(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestEnvironWith(t *testing.T) {
	e := environ{"A": "1", "B": "2"}
	got := e.with("B", "", "C", "3")
	slices.Sort(got)
	if !slices.Equal(got, []string{"A=1", "C=3"}) {
		t.Errorf("with = %v", got)
	}
	if len(e) != 2 || e["B"] != "2" {
		t.Errorf("with changed the environment: %v", e)
	}
}

func TestSecretsGeneratedOnceAndKept(t *testing.T) {
	for _, k := range []string{"GRANTFLOW_INTERNAL_SECRET", "GRANTFLOW_BOOTSTRAP_ADMIN_KEY", "GRANTFLOW_SECRETS_KEY"} {
		t.Setenv(k, "")
	}
	var out bytes.Buffer
	s := &state{run: t.TempDir(), out: &out, errOut: &out}
	first, err := s.secrets()
	if err != nil {
		t.Fatal(err)
	}
	if len(first.internal) < 32 || !strings.HasPrefix(first.bootstrap, "gf_bootstrap_") || first.secretsKey == "" {
		t.Fatalf("generated %+v", first)
	}
	fi, err := os.Stat(filepath.Join(s.run, "secrets.env"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secrets.env: %v %v", fi, err)
	}
	again, err := s.secrets()
	if err != nil || again != first {
		t.Fatalf("second read: %+v %v, want %+v", again, err, first)
	}
	t.Setenv("GRANTFLOW_BOOTSTRAP_ADMIN_KEY", "gf_mine_0123456789abcdef")
	if mine, _ := s.secrets(); mine.bootstrap != "gf_mine_0123456789abcdef" || mine.internal != first.internal {
		t.Fatalf("the environment does not win: %+v", mine)
	}
	// A secrets.env of an earlier release, without the secrets key, gets one added.
	if err := os.WriteFile(filepath.Join(s.run, "secrets.env"), []byte("GRANTFLOW_INTERNAL_SECRET="+first.internal+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GRANTFLOW_BOOTSTRAP_ADMIN_KEY", "")
	old, err := s.secrets()
	if err != nil || old.secretsKey == "" {
		t.Fatalf("old secrets.env: %+v %v", old, err)
	}
	if kept, _ := s.secrets(); kept.secretsKey != old.secretsKey {
		t.Fatal("the added secrets key is not kept")
	}
}
