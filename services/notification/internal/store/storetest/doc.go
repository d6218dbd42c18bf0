// Package storetest is the notification store's contract suite: Run passes one store of
// each engine through the same tests (subscriptions, idempotent fan-out, leases, the order
// per subject, concurrent claims), so the engines cannot drift apart.
package storetest
