package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/grpcapi"
	"github.com/grantflow/grantflow/services/audit/internal/offline"
)

// writeExport writes n chained events as GET /v1/auditEvents:export streams them, and the
// checkpoints at every 10th event as GET /v1/auditCheckpoints answers.
func writeExport(t *testing.T, key *domain.Key, n int, tamper func(e *domain.Event)) (exportFile, checkpointsFile string, lastCheckpoint string) {
	t.Helper()
	dir := t.TempDir()
	var lines, cps []string
	var h domain.Hasher
	var prev domain.Hash
	t0 := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		e := domain.Event{Seq: int64(i), ID: fmt.Sprintf("e%d", i), Time: t0.Add(time.Duration(i) * time.Minute), ActorID: "u1",
			Service: "grantflow-request", Action: "request.created", Subject: fmt.Sprintf("requests/r%d", i), RequestID: fmt.Sprintf("r%d", i),
			Data: []byte(fmt.Sprintf(`{"i":%d,"x":[0.5,"\u00e9"]}`, i)), IngestTime: t0.Add(time.Duration(i) * time.Minute)}
		e.Data, _ = domain.CanonicalJSON(e.Data)
		h.Seal(&e, prev)
		prev = e.Hash
		if i%10 == 0 {
			cp := key.Sign(e.Seq, e.Hash, e.IngestTime)
			raw, _ := protojson.Marshal(grpcapi.CheckpointPB(&cp))
			cps = append(cps, string(raw))
			lastCheckpoint = string(raw)
		}
		if tamper != nil {
			tamper(&e)
		}
		pb, err := grpcapi.EventPB(&e)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := protojson.Marshal(pb)
		lines = append(lines, `{"result":`+string(raw)+`}`)
	}
	exportFile, checkpointsFile = filepath.Join(dir, "export.jsonl"), filepath.Join(dir, "checkpoints.json")
	if err := os.WriteFile(exportFile, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(checkpointsFile, []byte(`{"checkpoints":[`+strings.Join(cps, ",")+`],"nextPageToken":""}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return exportFile, checkpointsFile, lastCheckpoint
}

func TestVerifyExport(t *testing.T) {
	key, _ := domain.NewKey(bytes.Repeat([]byte{9}, 32))
	pub := base64.StdEncoding.EncodeToString(key.Public())
	file, cps, last := writeExport(t, key, 35, nil)
	var out, errOut bytes.Buffer
	if err := run([]string{"verify-export", "--file", file, "--public-key", pub, "--checkpoints", cps}, &out, &errOut); err != nil {
		t.Fatalf("verify-export: %v\n%s%s", err, out.String(), errOut.String())
	}
	if r := report(t, &out); r["ok"] != true || r["verifiedThrough"] != "35" || r["checkpointsChecked"] != 3.0 {
		t.Fatalf("report:\n%s", out.String())
	}
	out.Reset()
	if err := run([]string{"verify-export", "--file", file, "--public-key", pub, "--checkpoint", last}, &out, &errOut); err != nil {
		t.Fatalf("with one kept checkpoint: %v\n%s", err, out.String())
	}
	errOut.Reset()
	if err := run([]string{"verify-export", "--file", file, "--public-key", pub}, &out, &errOut); err != nil || !strings.Contains(errOut.String(), "no checkpoint") {
		t.Fatalf("without checkpoints: %v, warning %q", err, errOut.String())
	}

	// A rewritten export (chain recomputed after a change to event 12) passes the chain
	// check but not the kept checkpoint.
	rewritten, _, _ := writeExport(t, key, 35, nil)
	raw, _ := os.ReadFile(rewritten)
	var h domain.Hasher
	var prev domain.Hash
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		e := parseLine(t, line)
		if e.Seq == 12 {
			e.ActorID = "mallory"
		}
		h.Seal(&e, prev)
		prev = e.Hash
		pb, _ := grpcapi.EventPB(&e)
		b, _ := protojson.Marshal(pb)
		lines = append(lines, string(b)) // plain AuditEvent lines are accepted too
	}
	if err := os.WriteFile(rewritten, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err := run([]string{"verify-export", "--file", rewritten, "--public-key", pub, "--checkpoint", last}, &out, &errOut)
	if r := report(t, &out); !errors.Is(err, errNotOK) || r["badCheckpointSeq"] != "30" || r["firstBadSeq"] != "1" {
		t.Fatalf("rewritten export: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := run([]string{"verify-export", "--file", rewritten, "--public-key", pub, "--checkpoints", cps}, &out, &errOut); !errors.Is(err, errNotOK) || report(t, &out)["firstBadSeq"] != "11" {
		t.Fatalf("rewritten export, every checkpoint: %v\n%s", err, out.String())
	}

	// A changed field is found at its seq.
	changed, _, _ := writeExport(t, key, 35, func(e *domain.Event) {
		if e.Seq == 7 {
			e.Subject = "requests/other"
		}
	})
	out.Reset()
	if err := run([]string{"verify-export", "--file", changed, "--public-key", pub, "--checkpoints", cps}, &out, &errOut); !errors.Is(err, errNotOK) || report(t, &out)["firstBadSeq"] != "7" {
		t.Fatalf("changed export: %v\n%s", err, out.String())
	}

	// Another key does not verify the checkpoints.
	other, _ := domain.NewKey(bytes.Repeat([]byte{1}, 32))
	out.Reset()
	if err := run([]string{"verify-export", "--file", file, "--public-key", base64.StdEncoding.EncodeToString(other.Public()), "--checkpoints", cps}, &out, &errOut); !errors.Is(err, errNotOK) {
		t.Fatalf("another key: %v\n%s", err, out.String())
	}
	for _, bad := range [][]string{
		{"verify-export", "--file", file},
		{"verify-export", "--file", file, "--public-key", "nope"},
		{"verify-export", "--file", filepath.Join(t.TempDir(), "missing"), "--public-key", pub},
		{"verify-export", "--file", file, "--public-key", pub, "--checkpoint", "{"},
		{"frobnicate"},
	} {
		if err := run(bad, &out, &errOut); err == nil || errors.Is(err, errNotOK) {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
}

// report decodes the JSON report verify-export printed.
func report(t *testing.T, out *bytes.Buffer) map[string]any {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report %q: %v", out.String(), err)
	}
	return r
}

func parseLine(t *testing.T, line string) domain.Event {
	t.Helper()
	e, err := offline.ParseEventLine([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestKeygen(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"keygen"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	seed, ok := strings.CutPrefix(first, "GRANTFLOW_AUDIT_SIGNING_KEY=")
	if !ok {
		t.Fatalf("keygen printed %q", out.String())
	}
	if _, err := domain.ParseSeed(seed); err != nil {
		t.Fatalf("keygen's key does not parse: %v", err)
	}
}
