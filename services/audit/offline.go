package audit

import (
	"fmt"
	"io"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	"github.com/grantflow/grantflow/services/audit/internal/domain"
	"github.com/grantflow/grantflow/services/audit/internal/grpcapi"
	"github.com/grantflow/grantflow/services/audit/internal/offline"
)

// VerifyExport checks an export (the JSON lines of GET /v1/auditEvents:export, read from r)
// away from the service, against the base64 Ed25519 public key and the checkpoints the
// auditor kept (each in any form the API gives them), and reports as
// POST /v1/auditEvents:verify does. It is the offline verifier of the audit binary
// (audit verify-export), for other command lines (grantflow audit verify --file). The
// error is for input that cannot be read; findings about the chain are in the report.
func VerifyExport(r io.Reader, publicKey string, checkpoints ...[]byte) (*auditv1.VerifyAuditEventsResponse, error) {
	pub, err := offline.ParsePublicKey(publicKey)
	if err != nil {
		return nil, err
	}
	var cps []domain.Checkpoint
	for i, raw := range checkpoints {
		parsed, err := offline.ParseCheckpoints(raw)
		if err != nil {
			return nil, fmt.Errorf("checkpoints %d: %w", i+1, err)
		}
		cps = append(cps, parsed...)
	}
	report, err := offline.VerifyExport(r, pub, cps)
	if err != nil {
		return nil, err
	}
	return grpcapi.ReportPB(report), nil
}
