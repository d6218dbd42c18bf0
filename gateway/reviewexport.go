package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"

	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
)

const (
	reviewExportPath   = "/v1/accessReviews/{id}:export"
	reviewExportMethod = "/grantflow.review.v1.ReviewService/ExportAccessReview"
)

// exportAccessReview serves GET /v1/accessReviews/{id}:export from review's stream of
// google.api.HttpBody chunks, written as they come (text/csv).
//
// It replaces the generated route because grpc-gateway writes its stream delimiter (a
// newline) after every chunk, which would put a blank line into the CSV at every chunk,
// and answers with the JSON marshaler's content type. A refusal before the first chunk is
// an ordinary error response (its HTTP code, {code, message, details}); a failure after
// it can only cut the file short, and is logged.
func exportAccessReview(mux *runtime.ServeMux, m runtime.Marshaler, client reviewv1.ReviewServiceClient, log *slog.Logger) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		ctx, err := runtime.AnnotateContext(ctx, mux, r, reviewExportMethod, runtime.WithHTTPPathPattern(reviewExportPath))
		if err != nil {
			runtime.HTTPError(ctx, mux, m, w, r, err)
			return
		}
		stream, err := client.ExportAccessReview(ctx, &reviewv1.ExportAccessReviewRequest{Id: params["id"]})
		if err != nil {
			runtime.HTTPError(ctx, mux, m, w, r, err)
			return
		}
		chunk, err := stream.Recv()
		if err != nil && !errors.Is(err, io.EOF) {
			runtime.HTTPError(ctx, mux, m, w, r, err)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetWriteDeadline(time.Time{}) // a large campaign may take longer than a call
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="access-review-`+safeFileName(params["id"])+`.csv"`)
		w.WriteHeader(http.StatusOK)
		for chunk != nil {
			if _, err := w.Write(chunk.GetData()); err != nil {
				return // the client went away; cancel ends the stream
			}
			if chunk, err = stream.Recv(); err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					log.ErrorContext(ctx, "access review export failed after it started", "error", err.Error())
				}
				break
			}
		}
		_ = rc.Flush()
	}
}

// safeFileName keeps letters, digits and dashes of id.
func safeFileName(id string) string {
	out := make([]byte, 0, len(id))
	for _, c := range []byte(id) {
		if c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
			out = append(out, c)
		}
	}
	return string(out)
}
