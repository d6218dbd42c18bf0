// Package domain is the audit log's domain: the event and checkpoint types, the canonical
// encoding that the hash chain is built on, Ed25519 checkpoint signing, and the
// verification walk that recomputes a chain and checks its checkpoints.
//
// Everything here is pure Go and deterministic, so that the service, the offline
// verify-export command and the tests share one definition; services/audit/README.md
// restates the encoding for auditors who re-implement it.
//
// domain imports only the standard library: no store, no gRPC, no protobuf.
package domain
