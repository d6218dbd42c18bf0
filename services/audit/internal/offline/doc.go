// Package offline verifies an export of the audit log away from the service: the JSON
// lines that GET /v1/auditEvents:export streams (or AuditEvent objects, one per line),
// against the published public key and the checkpoints the auditor kept.
//
// offline imports the domain and the generated audit types; it must not import the
// service, the store or gRPC.
package offline
