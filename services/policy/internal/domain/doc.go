// Package domain is the policy context in plain Go: policies, their versions and scopes,
// workflows and the rules that make one valid, the shipped system defaults, and the
// resolution rules (Index: which active version governs a request type, app and
// permission, and why).
//
// Everything here is pure: no gRPC, protobuf, SQL, Redis or identity lookups. Checks that
// need other services' facts (does this app, group or user exist?) live in the application
// layer, which calls identity; the rules that need nothing but the input live here, so that
// they can be table-tested and fuzzed on their own.
package domain
