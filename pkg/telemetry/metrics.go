package telemetry

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// ServiceAttr labels a measurement with the Grantflow service that made it
// (service.name, service_name in Prometheus). Every RED metric carries it, so a series says
// whose it is in the all-in-one process too, where one MeterProvider serves every service.
func ServiceAttr(service string) attribute.KeyValue { return semconv.ServiceName(service) }

// Metrics is the MeterProvider of one process, read by the OpenTelemetry Prometheus
// exporter into a registry of its own (plus the Go runtime's and the process's collectors).
type Metrics struct {
	// Provider makes the instruments; shut it down at exit.
	Provider *sdkmetric.MeterProvider
	// Handler serves the registry in the Prometheus text format (GET /metrics).
	Handler http.Handler
}

// NewMetrics returns the metrics of a process named service: its resource carries
// service.name=service (plus OTEL_RESOURCE_ATTRIBUTES), which the exporter shows as the
// target_info series. The registry is the process's own, not Prometheus' global one, so
// several processes in one test binary do not collide.
//
// HTTP server metrics drop server.address and server.port: they come from the Host header,
// which the client chooses, and would let anyone mint series.
func NewMetrics(service string, opts ...sdkmetric.Option) (*Metrics, error) {
	res, err := newResource(service)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("telemetry: go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("telemetry: process collector: %w", err)
	}
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	dropHost := sdkmetric.NewView(
		sdkmetric.Instrument{Name: "http.server.*"},
		sdkmetric.Stream{AttributeFilter: func(kv attribute.KeyValue) bool {
			return !strings.HasPrefix(string(kv.Key), "server.")
		}},
	)
	all := []sdkmetric.Option{sdkmetric.WithResource(res), sdkmetric.WithReader(exp), sdkmetric.WithView(dropHost)}
	mp := sdkmetric.NewMeterProvider(append(all, opts...)...)
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return &Metrics{Provider: mp, Handler: h}, nil
}
