// Package request is the request service: it owns requests and orchestrates each one
// through its pinned policy version (review steps in order, the action step, the effect
// applied through identity). See README.md.
//
// New assembles it on the memory or the PostgreSQL engine; Register puts its public and
// internal gRPC services and its event sink on a server; the binary is cmd/request. Kit is
// the one assembly both that binary and the all-in-one process (cmd/grantflow) use.
package request
