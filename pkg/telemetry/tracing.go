package telemetry

import (
	"context"
	"fmt"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

func init() {
	// W3C trace context and baggage everywhere, whatever the process sets up later.
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
}

// Exporter builds the span exporter the standard variables ask for: OTEL_TRACES_EXPORTER
// "otlp" (OTLP/gRPC, configured by OTEL_EXPORTER_OTLP_*), "console" (stdout) or "none".
// Unset, it is "otlp" when OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set and "none" otherwise, so a laptop run does not
// try to reach a collector that is not there. It returns nil for "none".
func Exporter(ctx context.Context) (sdktrace.SpanExporter, error) {
	kind := os.Getenv("OTEL_TRACES_EXPORTER")
	if kind == "" {
		kind = "none"
		if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
			kind = "otlp"
		}
	}
	switch kind {
	case "none":
		return nil, nil
	case "otlp":
		return otlptracegrpc.New(ctx)
	case "console":
		return stdouttrace.New()
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: want otlp, console or none", kind)
	}
}

// NewTracerProvider returns a TracerProvider for one service: every span it makes carries
// service.name=service (plus OTEL_RESOURCE_ATTRIBUTES). exp may be nil: then, unless opts
// add something (a test's in-memory exporter), the traces this process starts are made but
// not recorded, since nothing would read them: trace context still flows (trace ids,
// traceparent in events and logs, with the sampled flag off), and none of the attributes,
// message events and timestamps a recording span keeps is paid for on every call. A caller's
// sampled trace is still recorded (parent-based), so that the processes after this one that
// export keep it whole. Several services of one process share one exporter and keep their
// own names.
func NewTracerProvider(service string, exp sdktrace.SpanExporter, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, error) {
	res, err := newResource(service)
	if err != nil {
		return nil, err
	}
	all := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	switch {
	case exp != nil:
		all = append(all, sdktrace.WithBatcher(exp))
	case len(opts) == 0:
		all = append(all, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.NeverSample())))
	}
	return sdktrace.NewTracerProvider(append(all, opts...)...), nil
}

// newResource describes service: OTEL_RESOURCE_ATTRIBUTES first, our service.name last, so
// that in the all-in-one process every service keeps its own name even if
// OTEL_SERVICE_NAME is set.
func newResource(service string) (*resource.Resource, error) {
	res, err := resource.New(context.Background(),
		resource.WithFromEnv(), resource.WithTelemetrySDK(), resource.WithHost(),
		resource.WithAttributes(semconv.ServiceName(service)))
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	return res, nil
}
