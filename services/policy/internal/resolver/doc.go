// Package resolver keeps the in-process resolution index (domain.Index) in step with the
// store, so that resolution costs one cheap read and a few map lookups.
//
// Freshness comes from the store's index generation, which every transaction that changes
// an active version increments (store.Tx.BumpGeneration) in the same commit. Each
// resolution reads the generation (a one-row primary-key read on PostgreSQL, a counter in
// memory) and answers from the index when the index is at least that fresh. Otherwise it
// reloads only the policies named in the change log since the index's generation, and
// builds a new index that shares everything else (copy on write: readers never lock); a
// long gap (more than MaxDelta changes) rebuilds from scratch. Because the generation is
// part of the source of truth, a replica can never miss an activation another replica
// committed, Redis or no Redis: an activation is visible to every replica's next
// resolution, in this process and in any other.
//
// resolver imports the domain and the store contract; nothing of gRPC.
package resolver
