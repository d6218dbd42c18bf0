package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	"github.com/grantflow/grantflow/services/audit"
)

func (c *cmdEnv) audit() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Verify and export the audit log (Admin, GM)"}
	c.outputFlag(cmd)
	cmd.AddCommand(c.auditVerify(), c.auditExport())
	return cmd
}

func (c *cmdEnv) auditVerify() *cobra.Command {
	var fromCheckpoint bool
	var file, publicKey string
	var checkpoints []string
	cmd := &cobra.Command{
		Use:   "verify [--from-last-checkpoint] | verify --file EXPORT --public-key KEY [--checkpoints FILE ...]",
		Short: "Verify the audit log's hash chain and signed checkpoints, on the server or offline",
		Long: `Without --file, the server walks its log (POST /v1/auditEvents:verify).

With --file, nothing is asked of the server: the export (JSON lines from grantflow audit
export or GET /v1/auditEvents:export; "-" for standard input) is verified here, by the
audit service's own offline verifier, against the Ed25519 public key (base64, as
GET /v1/auditEvents:publicKey shows it) and the checkpoints you kept (GET
/v1/auditCheckpoints responses or JSON lines). Without checkpoints the chain is only
checked for consistency.

The exit code is 1 when the log does not verify.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := c.printer()
			if err != nil {
				return err
			}
			var report *auditv1.VerifyAuditEventsResponse
			if file != "" {
				if report, err = c.verifyOffline(file, publicKey, checkpoints); err != nil {
					return err
				}
			} else {
				cl, err := c.client()
				if err != nil {
					return err
				}
				report = &auditv1.VerifyAuditEventsResponse{}
				in := &auditv1.VerifyAuditEventsRequest{FromLastCheckpoint: fromCheckpoint}
				if err := cl.Do(cmd.Context(), http.MethodPost, "/v1/auditEvents:verify", nil, in, report); err != nil {
					return err
				}
			}
			if err := out.print(report, func() *Table { return reportTable(report) }); err != nil {
				return err
			}
			if !report.GetOk() {
				return fmt.Errorf("the audit log does not verify: %s (first bad seq %d)", report.GetProblem(), report.GetFirstBadSeq())
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&fromCheckpoint, "from-last-checkpoint", false, "on the server: start from the newest checkpoint that verifies instead of seq 1")
	f.StringVar(&file, "file", "", "verify this export offline (\"-\": standard input)")
	f.StringVar(&publicKey, "public-key", "", "offline: the audit signing key's public key (base64)")
	f.StringSliceVar(&checkpoints, "checkpoints", nil, "offline: a file of checkpoints you kept (repeatable)")
	return cmd
}

// verifyOffline runs the audit service's offline verifier on an export file.
func (c *cmdEnv) verifyOffline(file, publicKey string, checkpointFiles []string) (*auditv1.VerifyAuditEventsResponse, error) {
	if publicKey == "" {
		return nil, fmt.Errorf("--file needs --public-key (GET /v1/auditEvents:publicKey shows it; keep it away from the server)")
	}
	var cps [][]byte
	for _, f := range checkpointFiles {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		cps = append(cps, raw)
	}
	if len(cps) == 0 {
		fmt.Fprintln(c.env.Stderr, "grantflow: warning: no checkpoint given: the chain is checked for consistency only; a chain rewritten from some event onward cannot be told from the real one")
	}
	in := c.env.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	return audit.VerifyExport(in, publicKey, cps...)
}

func reportTable(r *auditv1.VerifyAuditEventsResponse) *Table {
	ok := "yes"
	if !r.GetOk() {
		ok = "NO"
	}
	t := fields(
		"OK", ok,
		"VERIFIED THROUGH", strconv.FormatInt(r.GetVerifiedThrough(), 10),
		"EVENTS CHECKED", strconv.FormatInt(r.GetEventsChecked(), 10),
		"CHECKPOINTS", strconv.Itoa(int(r.GetCheckpointsChecked())),
		"HEAD HASH", r.GetHeadHash(),
	)
	if !r.GetOk() {
		t.Rows = append(t.Rows, []string{"FIRST BAD SEQ", strconv.FormatInt(r.GetFirstBadSeq(), 10)}, []string{"PROBLEM", r.GetProblem()})
	}
	return t
}

func (c *cmdEnv) auditExport() *cobra.Command {
	return &cobra.Command{
		Use:   "export",
		Short: "Write the whole audit log as JSON lines (GET /v1/auditEvents:export), for audit verify --file",
		Args:  cobra.NoArgs,
		RunE: c.run(func(ctx context.Context, cl *Client, _ printer, _ []string) error {
			body, err := cl.Stream(ctx, "/v1/auditEvents:export")
			if err != nil {
				return err
			}
			defer body.Close()
			// The export streams: a failure after the first event arrives as a last line
			// {"error": ...}, which makes the export incomplete.
			sc := bufio.NewScanner(body)
			sc.Buffer(make([]byte, 64<<10), 16<<20)
			for sc.Scan() {
				line := sc.Bytes()
				if _, err := fmt.Fprintf(c.env.Stdout, "%s\n", line); err != nil {
					return err
				}
				if bytes.HasPrefix(bytes.TrimSpace(line), []byte(`{"error"`)) {
					return fmt.Errorf("the export stopped before its end: %s", bytes.TrimSpace(line))
				}
			}
			return sc.Err()
		}),
	}
}
