// Package review is the access review service: campaigns (DRAFT, ACTIVE, CLOSED), their
// items (one per access under review, snapshotted from identity at launch), reviewers'
// decisions (KEEP, CHANGE, REMOVE), and the requests CHANGE and REMOVE open through the
// request service. New assembles it on the memory or the PostgreSQL engine; Register puts
// its gRPC service on a server; the binary is cmd/review. Other services reach it only
// through the generated gRPC clients, and it reaches identity and request only through
// theirs.
package review
