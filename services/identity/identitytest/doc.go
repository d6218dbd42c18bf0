// Package identitytest runs the real identity service in-process for other services'
// tests: on the memory engine, behind the kit's real server chain on an in-memory
// listener (pkg/servicetest), with the Admin whose key exists from the start.
package identitytest
