// Package postgres is the notification store's PostgreSQL engine, for production.
//
// It owns the "notification" schema: [Open] applies the kit's migrations and this
// package's own ([Migrations], embedded from migrations/). Deliveries are a queue in the
// database: Claim leases due rows with FOR UPDATE SKIP LOCKED, so several replicas share
// the work without handing one delivery to two of them, and a replica that dies mid-attempt
// loses nothing: the lease (next_attempt_time) runs out and another replica takes the
// delivery over.
//
// postgres imports the store contract, the domain, pgx and the kit's pgstore; it must not
// import the service layer, gRPC, or another engine.
package postgres
