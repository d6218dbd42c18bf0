// Package memory is the notification store's in-memory engine: the embedded default, for
// the all-in-one process and tests. Nothing survives a restart, pending deliveries
// included: it is not for production.
//
// One mutex guards everything; each method holds it from start to end, which makes every
// method one transaction. Pending deliveries are kept apart, in Seq order, so Claim walks
// only them.
//
// memory imports the store contract and the domain only.
package memory
