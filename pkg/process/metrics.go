package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"

	"github.com/grantflow/grantflow/pkg/telemetry"
)

// startMetrics makes the process's MeterProvider (resource service.name=name), makes it
// the global one (libraries such as pkg/outbox record through it), and serves
// GET /metrics on GRANTFLOW_METRICS_ADDR when that is set.
func (p *Process) startMetrics(name string) error {
	m, err := telemetry.NewMetrics(name)
	if err != nil {
		return err
	}
	p.metrics = m
	otel.SetMeterProvider(m.Provider)
	p.Cleanups.Add("meter", m.Provider.Shutdown)
	if p.Config.MetricsAddr == "" {
		return nil
	}
	lis, err := net.Listen("tcp", p.Config.MetricsAddr)
	if err != nil {
		return fmt.Errorf("GRANTFLOW_METRICS_ADDR: listen on %s: %w", p.Config.MetricsAddr, err)
	}
	p.metricsAddr = lis.Addr().String()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := hs.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			p.Log.Error("metrics server stopped", "error", err.Error())
		}
	}()
	p.Cleanups.Add("metrics server", func(ctx context.Context) error { return hs.Shutdown(ctx) })
	p.Log.Info("serving metrics", "addr", p.metricsAddr, "path", "/metrics")
	return nil
}

// Meter returns the process's MeterProvider: the RED metrics of its gRPC servers and
// clients (made by Server, SharedServer and Dial) and of the gateway come from it.
func (p *Process) Meter() metric.MeterProvider { return p.metrics.Provider }

// Metrics returns the handler of GET /metrics: every metric of the process in the
// Prometheus text format.
func (p *Process) Metrics() http.Handler { return p.metrics.Handler }

// PublicMetrics is Metrics when GRANTFLOW_METRICS_ON_HTTP asks for GET /metrics on the
// gateway's public REST address, else nil (the gateway then serves no /metrics).
func (p *Process) PublicMetrics() http.Handler {
	if !p.Config.MetricsOnHTTP {
		return nil
	}
	return p.metrics.Handler
}

// MetricsAddr is the address GET /metrics is served on (GRANTFLOW_METRICS_ADDR as bound,
// so a :0 port is resolved); "" when the setting is empty.
func (p *Process) MetricsAddr() string { return p.metricsAddr }
