// Package identity is the identity service: users, groups, apps, accesses and API keys;
// authentication of credentials; the facts of the permissions matrix; assignee
// resolution. New assembles it on the memory or the PostgreSQL engine; Register puts its
// two gRPC services on a server; the binary is cmd/identity, and the all-in-one process
// uses the same New. Other services reach it only through the generated gRPC clients.
package identity
