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
// service.name=service (plus OTEL_RESOURCE_ATTRIBUTES). exp may be nil (spans are still
// made, so trace context still flows, but nothing is exported). Several services of one
// process share one exporter and keep their own names.
func NewTracerProvider(service string, exp sdktrace.SpanExporter, opts ...sdktrace.TracerProviderOption) (*sdktrace.TracerProvider, error) {
	res, err := newResource(service)
	if err != nil {
		return nil, err
	}
	all := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if exp != nil {
		all = append(all, sdktrace.WithBatcher(exp))
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
