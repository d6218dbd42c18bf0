// Package domain is the audit log's domain: the event and checkpoint types, the canonical
// encoding that the hash chain is built on (and the RFC 8785 canonical JSON of an event's
// payload), linking a batch of events after the head, Ed25519 checkpoint signing, the
// verification walk that recomputes a chain and checks its checkpoints, and which events
// concern a user (the ones anyone may see of their own).
//
// Everything here is pure Go and deterministic, so that the service, the offline
// verify-export command and the tests share one definition; services/audit/README.md
// restates the encoding for auditors who re-implement it.
//
// domain imports only the standard library: no store, no gRPC, no protobuf.
package domain
