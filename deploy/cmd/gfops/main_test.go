package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/grantflow/grantflow/pkg/testenv"
)

func TestGRPCHealth(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	h := health.NewServer()
	healthpb.RegisterHealthServer(srv, h)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	addr := lis.Addr().String()

	if err := run([]string{"grpc-health", addr}, new(bytes.Buffer)); err != nil {
		t.Fatalf("serving server: %v", err)
	}
	h.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	if err := run([]string{"grpc-health", addr}, new(bytes.Buffer)); err == nil || !strings.Contains(err.Error(), "NOT_SERVING") {
		t.Fatalf("not serving: got %v", err)
	}
	h.SetServingStatus("grantflow.x.v1.Svc", healthpb.HealthCheckResponse_SERVING)
	if err := run([]string{"grpc-health", addr, "grantflow.x.v1.Svc"}, new(bytes.Buffer)); err != nil {
		t.Fatalf("named service: %v", err)
	}
	srv.Stop()
	if err := run([]string{"grpc-health", "-timeout", "200ms", addr}, new(bytes.Buffer)); err == nil {
		t.Fatal("stopped server: want an error")
	}
}

func TestHTTPOK(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			_, _ = w.Write([]byte(`{"identity":"ok"}`))
			return
		}
		http.Error(w, `{"identity":"down"}`, http.StatusServiceUnavailable)
	}))
	defer ts.Close()
	if err := run([]string{"http-ok", ts.URL + "/readyz"}, new(bytes.Buffer)); err != nil {
		t.Fatalf("200: %v", err)
	}
	err := run([]string{"http-ok", ts.URL + "/other"}, new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "down") {
		t.Fatalf("503: got %v", err)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"grpc-health"}, {"http-ok"}, {"http-ok", "a", "b"}} {
		if err := run(args, new(bytes.Buffer)); err == nil {
			t.Errorf("%q: want a usage error", args)
		}
	}
	t.Setenv("GRANTFLOW_POSTGRES_URL", "")
	if err := run([]string{"ensure-db"}, new(bytes.Buffer)); err == nil {
		t.Error("ensure-db without a URL: want a usage error")
	}
}

// TestEnsureDB creates a database of its own, twice (the second time it exists), then drops it.
func TestEnsureDB(t *testing.T) {
	admin := testenv.PostgresURL(t)
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "gfops_test_" + hex.EncodeToString(b)
	url := replaceDB(t, admin, name)
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
			t.Error(err)
		}
	})

	var out bytes.Buffer
	if err := run([]string{"ensure-db", url}, &out); err != nil {
		t.Fatalf("create: %v", err)
	}
	if !strings.Contains(out.String(), "created database") {
		t.Errorf("create: printed %q", out.String())
	}
	out.Reset()
	t.Setenv("GRANTFLOW_POSTGRES_URL", url)
	if err := run([]string{"ensure-db"}, &out); err != nil {
		t.Fatalf("exists: %v", err)
	}
	if !strings.Contains(out.String(), "exists") {
		t.Errorf("exists: printed %q", out.String())
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("the database is not usable: %v", err)
	}
	_ = conn.Close(ctx)
}

// replaceDB returns url with its database (the path) set to name.
func replaceDB(t *testing.T, url, name string) string {
	t.Helper()
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		t.Fatalf("want a postgres:// URL, got %q", url)
	}
	hostPart, _, _ := strings.Cut(rest, "/")
	query := ""
	if i := strings.Index(rest, "?"); i >= 0 {
		query = rest[i:]
	}
	return scheme + "://" + hostPart + "/" + name + query
}
