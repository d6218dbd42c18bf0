// Package domain is the identity context in plain Go: users, groups, apps, accesses and
// API keys, and the rules that keep them consistent.
//
// It imports no gRPC, SQL or Redis, and no store, app or kit package.
package domain
