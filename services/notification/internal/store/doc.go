// Package store is the notification service's storage contract: webhook subscriptions,
// the ids of the events already fanned out, and deliveries with their attempt state.
//
// Deliveries are a durable queue: Enqueue records an event and its deliveries in one
// transaction (an event id is recorded once, so a relay that sends a batch again adds
// nothing), Claim leases the due ones (on PostgreSQL with FOR UPDATE SKIP LOCKED, so
// several replicas share the work) and Finish records an attempt's outcome. Claim never
// hands out a delivery while an earlier one of the same subject to the same subscription
// is pending: deliveries of a subject go out in order.
//
// store imports the domain only; engines live in memory/ and postgres/, and both pass the
// contract suite in storetest/.
package store
