// Package appkit is the common ground of the services' application layers
// (services/*/internal/app): the defaults of what the assembly hands them (logger, the
// wake-up of the outbox relays, the clock), a write that wakes the relays after it
// committed, and the checks every service makes of its caller. It sees no gRPC: the
// errors are pkg/errs kinds.
package appkit
