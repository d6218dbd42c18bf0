package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestParseGoBench(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "gobench.txt", `BenchmarkResolve/postgres/serial-2   	    5000	    318507 ns/op	         0.2970 p50-ms	         0.6046 p99-ms
BenchmarkInbox-2   	    2000	   1344410 ns/op	       753.5 admin-p50-µs	      5608 admin-p99-µs	      7855 typical-p99-µs
--- BENCH: BenchmarkInbox-2
FAILED services/x ./... ^BenchmarkX$
`)
	got := parseGoBench(filepath.Join(dir, "gobench.txt"))
	if v := got["BenchmarkResolve/postgres/serial"]["p99-ms"]; v != 0.6046 {
		t.Errorf("p99-ms = %v", v)
	}
	if v := got["BenchmarkInbox"]["typical-p99-µs"]; v != 7855 {
		t.Errorf("typical-p99-µs = %v", v)
	}
	if len(got) != 2 {
		t.Errorf("parsed %d benchmarks, want 2: %v", len(got), got)
	}
}

func TestParsePgbenchTakesTheBestRun(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pgbench.txt", `number of clients: 4
tps = 9338.303821 (without initial connection time)
number of clients: 16
tps = 13101.237243 (without initial connection time)
`)
	got, err := parsePgbench(filepath.Join(dir, "pgbench.txt"))
	if err != nil || got.best != 13101.237243 || len(got.runs) != 2 || got.runs[1].clients != 16 {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := parsePgbench(filepath.Join(dir, "missing.txt")); err == nil {
		t.Error("a missing file parsed")
	}
}

// A folder with only some results still gives every row; the missing ones say why.
func TestBuildMarksWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pgbench.txt", "number of clients: 4\ntps = 1000.0 (without initial connection time)\n")
	write(t, dir, "sat-rest.json", `{"mode":"rest","concurrency":16,"completed":200,"lifecycles":{"perSec":10,"p50Ms":900,"p99Ms":1500},
		"db":{"lifecycles":250,"perLifecycle":{"writeTransactions":31},"wal":{"commits":5000}}}`)
	write(t, dir, "read.json", `{"rest":{},"grpc":{"p50Ms":0.6},"restError":"HTTP 404: Not Found"}`)
	rows := build(dir)
	find := func(prefix string) row {
		for _, r := range rows {
			if strings.HasPrefix(r.Figure, prefix) {
				return r
			}
		}
		t.Fatalf("no row %q in %+v", prefix, rows)
		return row{}
	}
	// 5,000 write commits over 250 lifecycles = 20 per lifecycle; 1,000 commits/s / 20 = 50
	// lifecycles/s; the target is 15% of it, 7.5/s; 10/s is 20% of 50.
	if r := find("lifecycles/s at saturation, REST vs the ceiling"); r.Met != "yes" || !strings.Contains(r.Measured, "20.0% of 1000/20.0 = 50/s") || r.Target != ">= 15% = 7.5/s" {
		t.Errorf("ceiling row: %+v", r)
	}
	if r := find("write commits per lifecycle, REST"); r.Met != "yes" || r.Target != "<= 20" {
		t.Errorf("commits row: %+v", r)
	}
	if r := find("lifecycles/s at saturation, REST, all-in-one"); r.Met != "n/a" {
		t.Errorf("missing all-in-one run: %+v", r)
	}
	if r := find("lifecycles/s at saturation, GRPC"); r.Met != "n/a" {
		t.Errorf("missing gRPC run: %+v", r)
	}
	if r := find("gateway overhead at p50 (GetRequest"); r.Met != "n/a" || !strings.Contains(r.Measured, "404") {
		t.Errorf("REST failure: %+v", r)
	}
	if r := find("verification"); r.Met != "n/a" {
		t.Errorf("missing benchmark: %+v", r)
	}
}

func TestReplicaRowsSplitTheHops(t *testing.T) {
	dir := t.TempDir()
	rows := replicaRows(dir)
	if len(rows) != 1 || rows[0].Met != "n/a" {
		t.Fatalf("without replicas.json: %+v, want one row not measured", rows)
	}
	write(t, dir, "replicas.json", `{"lost":0,"doubled":0,"processes":[
		{"name":"request","service":"request","served":60,"delivered":10},
		{"name":"request-2","service":"request","served":20,"delivered":10},
		{"name":"task","service":"task","served":50,"delivered":0},
		{"name":"task-2","service":"task","served":50,"delivered":0}]}`)
	rows = replicaRows(dir)
	if len(rows) != 3 {
		t.Fatalf("rows = %+v, want lost/doubled and one per service", rows)
	}
	if rows[0].Measured != "0 / 0" || rows[0].Met != "yes" {
		t.Errorf("lost/doubled row = %+v", rows[0])
	}
	if !strings.HasPrefix(rows[1].Measured, "70% / 30%") || rows[1].Met != "yes" {
		t.Errorf("request's split = %+v, want 70%% / 30%%, met", rows[1])
	}
	if !strings.HasPrefix(rows[2].Measured, "50% / 50%") || rows[2].Met != "yes" {
		t.Errorf("task's split = %+v", rows[2])
	}
}
