package main

import (
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/grpcapi"
	"github.com/grantflow/grantflow/services/audit/internal/offline"
)

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// verifyExport checks an export offline and prints the report (the same JSON as
// POST /v1/auditEvents:verify). It fails when the export does not verify.
func verifyExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit verify-export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("file", "", "the export: JSON lines from GET /v1/auditEvents:export (\"-\": standard input)")
	pubB64 := fs.String("public-key", "", "the base64 Ed25519 public key, as GET /v1/auditEvents:publicKey shows it")
	var inline, files stringList
	fs.Var(&inline, "checkpoint", "a checkpoint you kept, as JSON (repeatable)")
	fs.Var(&files, "checkpoints", "a file of checkpoints: GET /v1/auditCheckpoints responses or JSON lines (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" || *pubB64 == "" {
		fs.Usage()
		return fmt.Errorf("verify-export needs --file and --public-key")
	}
	pub, err := offline.ParsePublicKey(*pubB64)
	if err != nil {
		return err
	}
	var cps []domain.Checkpoint
	for _, c := range inline {
		parsed, err := offline.ParseCheckpoints([]byte(c))
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		cps = append(cps, parsed...)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		parsed, err := offline.ParseCheckpoints(raw)
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		cps = append(cps, parsed...)
	}
	if len(cps) == 0 {
		fmt.Fprintln(stderr, "audit: warning: no checkpoint given: the chain is checked for consistency only; a chain rewritten from some event onward cannot be told from the real one")
	}
	in := io.Reader(os.Stdin)
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	report, err := offline.VerifyExport(in, pub, cps)
	if err != nil {
		return err
	}
	out, err := protojson.MarshalOptions{Multiline: true, EmitUnpopulated: true}.Marshal(grpcapi.ReportPB(report))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(out))
	if !report.OK {
		return fmt.Errorf("%w: %s", errNotOK, report.Problem)
	}
	return nil
}

func keygen(stdout io.Writer) error {
	seed := domain.GenerateSeed()
	key, err := domain.NewKey(seed)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "GRANTFLOW_AUDIT_SIGNING_KEY=%s\n# public key (key id %s): %s\n",
		base64.StdEncoding.EncodeToString(seed), key.ID(), base64.StdEncoding.EncodeToString(key.Public()))
	return nil
}
