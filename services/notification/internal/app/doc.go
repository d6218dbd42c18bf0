// Package app is the notification service's application layer: the webhook subscriptions
// (create, read, edit, delete, ping, redeliver, each authorized by the permissions
// matrix's "Create API Keys and Webhooks": Admin and GM), the fan-out of received events
// to the matching subscriptions (Ingest), and the dispatcher (Run) that sends due
// deliveries and records each attempt.
//
// app imports the domain, the store contract and the webhook sender; no gRPC handler and
// no engine.
package app
