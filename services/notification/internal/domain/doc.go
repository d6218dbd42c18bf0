// Package domain holds the notification service's rules as pure Go: webhook subscriptions
// (the URL rules, event-type filters, secrets) and deliveries (their states and retry
// window). It imports no gRPC, SQL or HTTP client code.
package domain
