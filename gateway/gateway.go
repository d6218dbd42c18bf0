package gateway

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/grantflow/grantflow/gen"
	auditv1 "github.com/grantflow/grantflow/gen/go/grantflow/audit/v1"
	identityv1 "github.com/grantflow/grantflow/gen/go/grantflow/identity/v1"
	notificationv1 "github.com/grantflow/grantflow/gen/go/grantflow/notification/v1"
	policyv1 "github.com/grantflow/grantflow/gen/go/grantflow/policy/v1"
	requestv1 "github.com/grantflow/grantflow/gen/go/grantflow/request/v1"
	reviewv1 "github.com/grantflow/grantflow/gen/go/grantflow/review/v1"
	taskv1 "github.com/grantflow/grantflow/gen/go/grantflow/task/v1"
	"github.com/grantflow/grantflow/pkg/auth"
	"github.com/grantflow/grantflow/pkg/errs"
	"github.com/grantflow/grantflow/pkg/telemetry"
)

// Name is the gateway's name in traces, metrics and logs.
const Name = "grantflow-gateway"

// MetricsPath is where the gateway serves Options.Metrics.
const MetricsPath = "/metrics"

// Backends are the connections to the services whose public APIs the gateway serves.
// A nil connection leaves that service's routes out.
type Backends struct {
	Identity *grpc.ClientConn
	Policy   *grpc.ClientConn
	Request  *grpc.ClientConn
	Task     *grpc.ClientConn
	Audit    *grpc.ClientConn
	Review   *grpc.ClientConn
	// Notification serves the webhook routes (/v1/webhooks...).
	Notification *grpc.ClientConn
}

// Options configure the gateway.
type Options struct {
	Logger *slog.Logger
	// Authenticator turns bearer credentials into principals (identity, through the cache).
	Authenticator auth.Authenticator
	Backends      Backends
	// Ready checks every dependency for /readyz.
	Ready map[string]func(context.Context) error
	// MaxBodyBytes bounds request bodies (default 1 MiB); larger ones get 413.
	MaxBodyBytes int64
	// CORSOrigins are the allowed browser origins ("*" for any); empty disables CORS.
	CORSOrigins []string
	// TracerProvider makes the gateway's spans (service.name grantflow-gateway).
	TracerProvider trace.TracerProvider
	// MeterProvider records the RED metrics of every HTTP request (http.server.request.duration,
	// labelled service.name grantflow-gateway); nil: the global one.
	MeterProvider metric.MeterProvider
	// Metrics, if set, is served as GET /metrics (the process's Prometheus metrics).
	Metrics http.Handler
	// Limiter limits calls per principal (429 with Retry-After); nil disables it.
	Limiter *Limiter
	// ConsoleDemo, if set, lists the demo's people on the console's sign-in page.
	ConsoleDemo *ConsoleDemo
	// ConsoleOIDC, if set, offers OIDC sign-in on the console (authorization code with PKCE).
	ConsoleOIDC ConsoleOIDC
	// AuthFailures limits failed and unauthenticated calls per client address (429 with
	// Retry-After, before the credential is looked at); nil disables it.
	AuthFailures *auth.FailureLimiter
	// StreamRecheck is how often a watch's credential is authenticated again while it lasts
	// (0: auth.DefaultStreamRecheck); refused, the watch ends with UNAUTHENTICATED.
	StreamRecheck time.Duration
}

// New returns the gateway's HTTP handler.
func New(ctx context.Context, o Options) (http.Handler, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1 << 20
	}
	marshaler := &strictJSON{JSONPb: &runtime.JSONPb{
		MarshalOptions: protojson.MarshalOptions{EmitUnpopulated: true},
		// A misspelled field is a bad request, not something silently dropped.
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}
	var mux *runtime.ServeMux
	fail := func(w http.ResponseWriter, r *http.Request, err error) {
		runtime.HTTPError(r.Context(), mux, marshaler, w, r, err)
	}
	mux = runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, marshaler),
		// Nothing from the services' gRPC metadata leaks into HTTP headers.
		runtime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		runtime.WithMetadata(func(ctx context.Context, r *http.Request) metadata.MD {
			return metadata.Pairs("x-request-id", r.Header.Get("X-Request-Id"))
		}),
		runtime.WithMiddlewares(limitFailures(o.AuthFailures, fail), authenticate(o.Authenticator, o.Limiter, o.StreamRecheck, fail), validUTF8(fail), longStreams()),
		runtime.WithStreamErrorHandler(watchErrors),
	)
	if c := o.Backends.Identity; c != nil {
		if err := identityv1.RegisterIdentityServiceHandler(ctx, mux, c); err != nil {
			return nil, err
		}
	}
	if c := o.Backends.Policy; c != nil {
		if err := policyv1.RegisterPolicyServiceHandler(ctx, mux, c); err != nil {
			return nil, err
		}
	}
	if c := o.Backends.Request; c != nil {
		if err := requestv1.RegisterRequestServiceHandler(ctx, mux, c); err != nil {
			return nil, err
		}
	}
	if c := o.Backends.Task; c != nil {
		if err := taskv1.RegisterTaskServiceHandler(ctx, mux, c); err != nil {
			return nil, err
		}
	}
	if c := o.Backends.Audit; c != nil {
		if err := auditv1.RegisterAuditServiceHandler(ctx, mux, c); err != nil {
			return nil, err
		}
		// Registered after the generated routes, so it takes precedence over the generated
		// export route (grpc-gateway tries the newest registration first).
		if err := mux.HandlePath(http.MethodGet, exportPath, exportAuditEvents(mux, marshaler, auditv1.NewAuditServiceClient(c), o.Logger)); err != nil {
			return nil, err
		}
	}
	if c := o.Backends.Review; c != nil {
		if err := reviewv1.RegisterReviewServiceHandler(ctx, mux, c); err != nil {
			return nil, err
		}
		// After the generated routes, so it takes precedence over the generated export.
		if err := mux.HandlePath(http.MethodGet, reviewExportPath, exportAccessReview(mux, marshaler, reviewv1.NewReviewServiceClient(c), o.Logger)); err != nil {
			return nil, err
		}
	}
	if c := o.Backends.Notification; c != nil {
		if err := notificationv1.RegisterNotificationServiceHandler(ctx, mux, c); err != nil {
			return nil, err
		}
		if err := notificationv1.RegisterWebhookServiceHandler(ctx, mux, c); err != nil {
			return nil, err
		}
	}
	root := http.NewServeMux()
	root.Handle("/v1/", mux)
	if err := mountSCIM(root, o); err != nil {
		return nil, err
	}
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	root.HandleFunc("GET /readyz", readyz(o.Ready, o.Logger))
	spec, err := OpenAPI3(gen.OpenAPI)
	if err != nil {
		return nil, err
	}
	root.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(spec)
	})
	if err := mountConsole(root, o.ConsoleDemo); err != nil {
		return nil, err
	}
	mountConsoleOIDC(root, o.ConsoleOIDC, o.MaxBodyBytes, o.AuthFailures)
	docs, err := apiDocsHandler(gen.OpenAPI)
	if err != nil {
		return nil, err
	}
	root.HandleFunc("GET /docs", docs)
	if o.Metrics != nil {
		root.Handle("GET "+MetricsPath, o.Metrics)
	}
	var h http.Handler = root
	h = cors(o.CORSOrigins, h)
	h = limitBody(o.MaxBodyBytes, h)
	h = requestID(h)
	var tp []otelhttp.Option
	if o.TracerProvider != nil {
		tp = append(tp, otelhttp.WithTracerProvider(o.TracerProvider))
	}
	if o.MeterProvider != nil {
		tp = append(tp, otelhttp.WithMeterProvider(o.MeterProvider))
	}
	tp = append(tp,
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }),
		// A scrape is neither traced nor counted: it would drown the calls it measures.
		otelhttp.WithFilter(func(r *http.Request) bool { return r.URL.Path != MetricsPath }),
	)
	return otelhttp.NewHandler(labelService(h), Name, tp...), nil
}

// authenticate runs for every matched API route: the bearer credential becomes the
// principal in the request context, which the gRPC client carries on as a signed token.
// A watch's credential is authenticated again every recheck while the watch lasts
// (recheckWatch).
func authenticate(a auth.Authenticator, lim *Limiter, recheck time.Duration, fail func(http.ResponseWriter, *http.Request, error)) runtime.Middleware {
	return func(next runtime.HandlerFunc) runtime.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
			h := r.Header.Get("Authorization")
			const prefix = "bearer "
			if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) || strings.TrimSpace(h[len(prefix):]) == "" {
				fail(w, r, errs.ToStatus(r.Context(), nil, errs.Unauthenticated("missing credentials: send Authorization: Bearer <api key or token>")).Err())
				return
			}
			cred := strings.TrimSpace(h[len(prefix):])
			p, err := a.Authenticate(r.Context(), cred)
			if err != nil {
				fail(w, r, errs.ToStatus(r.Context(), nil, err).Err())
				return
			}
			if lim != nil {
				if ok, retry := lim.Allow(r.Context(), p.UserID); !ok {
					w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
					fail(w, r, errs.ToStatus(r.Context(), nil, errs.ResourceExhausted("RATE_LIMITED", "too many calls; retry after the Retry-After header's seconds")).Err())
					return
				}
			}
			if isWatch(r) {
				var done func()
				r, done = recheckWatch(r, a, cred, p.UserID, recheck)
				defer done()
			}
			next(w, r.WithContext(auth.WithPrincipal(r.Context(), p)), params)
		}
	}
}

// labelService labels the HTTP metrics of every request with the gateway's service.name,
// as every gRPC metric is labelled with its service's (otelhttp's labeler, in the context).
func labelService(next http.Handler) http.Handler {
	service := telemetry.ServiceAttr(Name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l, ok := otelhttp.LabelerFromContext(r.Context()); ok {
			l.Add(service)
		}
		next.ServeHTTP(w, r)
	})
}

func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 128 || !printableASCII(id) {
			b := make([]byte, 8)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
			r.Header.Set("X-Request-Id", id)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"code": 8, "message": "request body too large", "details": []any{}})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

func cors(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	allowed := map[string]bool{}
	for _, o := range origins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (allowed["*"] || allowed[origin]) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Vary", "Origin")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-Id, traceparent, tracestate")
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS")
			w.Header().Set("Access-Control-Expose-Headers", "X-Request-Id")
			if r.Method == http.MethodOptions {
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// readyz runs every check at once, under one deadline, and answers 200 only when all
// passed; the body names each check with "ok" or "unavailable" (the error, which may name
// hosts and addresses, goes to the log, never to the public).
func readyz(checks map[string]func(context.Context) error, log *slog.Logger) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		var (
			mu  sync.Mutex
			wg  sync.WaitGroup
			out = map[string]string{}
		)
		code := http.StatusOK
		for name, check := range checks {
			wg.Go(func() {
				err := check(ctx)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					log.WarnContext(ctx, "readiness check failed", "dependency", name, "error", err.Error())
					out[name] = "unavailable"
					code = http.StatusServiceUnavailable
				} else {
					out[name] = "ok"
				}
			})
		}
		wg.Wait()
		writeJSON(w, code, out)
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// strictJSON is the gateway's protojson marshaler, refusing a body with anything after its
// JSON value: grpc-gateway's decoder reads the first value and ignores the rest, so
// `{"type":"GRANT_ACCESS"} {"type":"ADD_APP"}` would pass as its first half.
type strictJSON struct {
	*runtime.JSONPb
}

// Marshal is JSONPb's, without its copy of a message's JSON into a second buffer (the
// same bytes).
func (m *strictJSON) Marshal(v any) ([]byte, error) {
	if p, ok := v.(proto.Message); ok {
		return m.MarshalOptions.Marshal(p)
	}
	return m.JSONPb.Marshal(v)
}

// NewDecoder reads the whole body (the gateway bounds its size) and refuses it when one
// JSON value is followed by anything but whitespace; otherwise it decodes exactly as
// JSONPb does (an empty body is io.EOF, which grpc-gateway takes as "no body").
func (m *strictJSON) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		raw, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		var first json.RawMessage
		if dec.Decode(&first) == nil {
			if _, err := dec.Token(); err != io.EOF {
				return errors.New("unexpected data after the JSON body")
			}
		}
		err = m.JSONPb.NewDecoder(bytes.NewReader(raw)).Decode(v)
		if err != nil && strings.Contains(err.Error(), "google.protobuf.Duration") {
			if field := badDuration(raw); field != "" {
				// Name the field: protojson's message quotes only the value.
				return fmt.Errorf("%s: not a duration (seconds with an \"s\" suffix, e.g. \"259200s\"): %w", field, err)
			}
		}
		return err
	})
}
