// Package killtest holds the notification service's crash test (integration tier): it
// builds the notification binary, runs it as a real process on PostgreSQL, plays a relay
// that delivers a burst of events, and kill -9s the process ten times during the burst.
// Every event must then have reached every subscription's receiver with a 2xx, and the
// first successful delivery of each subject's events must be in event order.
//
// The package has no code outside its tests and imports no code of the service: it talks
// to the binary over gRPC (with the deployment's internal token, as a relay does) and HTTP.
package killtest
