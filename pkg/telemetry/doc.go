// Package telemetry sets up OpenTelemetry tracing, metrics and structured logging for one
// Grantflow service: a TracerProvider whose resource carries the service's service.name,
// an exporter chosen by the standard OTEL_* variables, W3C trace-context propagation; a
// MeterProvider read by the Prometheus exporter (the RED metrics of every gRPC and HTTP
// call, served as GET /metrics); and a slog JSON logger that stamps trace_id and span_id on
// every record made with a context.
//
// telemetry knows no service and no storage.
package telemetry
