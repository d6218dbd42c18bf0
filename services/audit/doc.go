// Package audit is the audit service: one append-only, hash-chained log of every state
// change of Grantflow, fed by the other services' outbox relays (AuditIngestService), read
// through AuditService (query, lineage of a request, verification, export), with
// Ed25519-signed checkpoints.
//
// New assembles it on the memory or the PostgreSQL engine; Register puts its two gRPC
// services on a server; Run makes the checkpoints; Sink is what a producer's relay delivers
// to. The binary is cmd/audit (serve, migrate, verify-export, keygen), and the all-in-one
// process uses the same New. README.md defines the hash chain and the checkpoints.
package audit
