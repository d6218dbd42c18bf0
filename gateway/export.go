package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc/status"

	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
)

const (
	exportPath   = "/v1/auditEvents:export"
	exportMethod = "/grantflow.audit.v1.AuditService/ExportAuditEvents"
	// ExportContentType is the media type of an export: one JSON object per line.
	ExportContentType = "application/x-ndjson"
)

// exportAuditEvents serves GET /v1/auditEvents:export from audit's server stream, as JSON
// lines: one {"result": AuditEvent} per event, in seq order, the form grpc-gateway gives a
// stream (and the one `audit verify-export` reads).
//
// It replaces the generated route for one reason: errors. The generated route answers a
// refusal before the first event (an unauthorized caller) with {"error": {...}}, unlike
// every other call; here such a refusal is an ordinary error response (its HTTP code,
// {code, message, details}). Once events have been sent the status is 200 and cannot
// change, so a failure then is reported as a last line {"error": {code, message,
// details}}: a client must treat a line without "result" as a failed export.
func exportAuditEvents(mux *runtime.ServeMux, m runtime.Marshaler, client auditv1.AuditServiceClient, log *slog.Logger) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		ctx, err := runtime.AnnotateContext(ctx, mux, r, exportMethod, runtime.WithHTTPPathPattern(exportPath))
		if err != nil {
			runtime.HTTPError(ctx, mux, m, w, r, err)
			return
		}
		stream, err := client.ExportAuditEvents(ctx, &auditv1.ExportAuditEventsRequest{})
		if err != nil {
			runtime.HTTPError(ctx, mux, m, w, r, err)
			return
		}
		ev, err := stream.Recv()
		if err != nil && !errors.Is(err, io.EOF) {
			runtime.HTTPError(ctx, mux, m, w, r, err)
			return
		}
		rc := http.NewResponseController(w)
		// An export of a long log may take longer than the server's write timeout, which
		// is sized for ordinary calls.
		_ = rc.SetWriteDeadline(time.Time{})
		w.Header().Set("Content-Type", ExportContentType)
		w.WriteHeader(http.StatusOK)
		bw := bufio.NewWriterSize(w, 64<<10)
		for ev != nil {
			line, err := m.Marshal(ev)
			if err != nil {
				writeErrorLine(ctx, bw, m, log, err)
				break
			}
			if !writeLine(bw, "result", line) {
				return // the client went away; cancel ends the stream
			}
			if ev, err = stream.Recv(); err != nil {
				if !errors.Is(err, io.EOF) {
					writeErrorLine(ctx, bw, m, log, err)
				}
				break
			}
		}
		if bw.Flush() == nil {
			_ = rc.Flush()
		}
	}
}

func writeLine(bw *bufio.Writer, key string, value []byte) bool {
	_, _ = bw.WriteString(`{"` + key + `":`)
	_, _ = bw.Write(value)
	_, err := bw.WriteString("}\n")
	return err == nil
}

func writeErrorLine(ctx context.Context, bw *bufio.Writer, m runtime.Marshaler, log *slog.Logger, err error) {
	if ctx.Err() != nil {
		return // the client went away: nobody to tell
	}
	st := status.Convert(err)
	log.ErrorContext(ctx, "audit export failed after it started", "code", st.Code().String(), "error", st.Message())
	if raw, merr := m.Marshal(st.Proto()); merr == nil {
		writeLine(bw, "error", raw)
	}
}
