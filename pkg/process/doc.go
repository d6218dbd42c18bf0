// Package process assembles what every Grantflow process needs around its services:
// the config, a JSON logger, the span exporter, the internal-token signer, Redis, one
// TracerProvider per service (so each span carries its service's service.name even when
// several services share the process), gRPC servers and clients wired with them, and
// the cleanups that stop it all in reverse order.
//
// process knows no service.
package process
