// Package storetest is the notification store's contract suite: the methods of [Cases] run
// each engine through the same tests (subscriptions, idempotent fan-out, leases, the order
// per subject, concurrent claims), so the engines cannot drift apart.
package storetest
