// Package process assembles what every Grantflow process needs around its services:
// the config, a JSON logger, the span exporter, the internal-token signer, Redis, one
// TracerProvider per service (so each span carries its service's service.name even when
// several services share the process), one MeterProvider for the process (Prometheus, on
// GRANTFLOW_METRICS_ADDR when set; every RED series labelled with its service.name), gRPC
// servers and clients wired with them, and the cleanups that stop it all in reverse order.
//
// process knows no service.
package process
