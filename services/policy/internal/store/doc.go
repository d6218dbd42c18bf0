// Package store is the policy service's storage contract. Writes happen only inside InTx
// closures, where the change and its outbox events commit together; both engines (memory/,
// postgres/) implement the same interface and pass the same contract suite (storetest/).
//
// The store itself guards the rules that keep history true, so that no caller can break
// them by mistake: an active or retired version never changes and is never deleted
// (ErrImmutable; on PostgreSQL a trigger refuses it even to raw SQL), at most one version
// of a policy is active, and policies of one request type never overlap at one level
// (ErrConflict). It checks nothing about permissions or workflow validity: the
// application layer does.
//
// The index generation is the store's record of changes to the set of active versions:
// BumpGeneration, called in the transaction that activates a version, increments it and
// records which policy changed. Readers compare Generation with the generation of their
// in-process resolution index and reload only the policies named by Changes since.
//
// store imports the domain, the generated events and the kit's outbox; no engine.
package store
