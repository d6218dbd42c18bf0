// Package distributed holds the end-to-end suite against the distributed mode
// (integration tier): it builds every service binary and the gateway, runs each as its own
// process on one fresh PostgreSQL database and the local Redis, as `make up` does, and
// drives them over REST only, as a client would: the seeds' request lifecycle from submit
// to done, a decline, and each request's lineage in audit. The same run checks that one
// submit makes one trace across five processes (an OTLP/gRPC receiver in the test collects
// what every process exports) and that every process serves its RED metrics.
//
// The package has no code outside its tests and imports no service: it knows the system
// only by its binaries, its REST API and its telemetry.
//
// Without PostgreSQL or Redis it skips loudly (fails under CI=true); -short skips it.
package distributed
