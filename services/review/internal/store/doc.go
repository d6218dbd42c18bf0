// Package store is the review service's storage contract. Writes happen only inside InTx
// closures, where the change and its outbox events commit together; both engines (memory/,
// postgres/) implement the same interface and run the same contract suite (storetest/).
//
// Concurrency is the store's job: a transaction locks what it will change before it reads
// it (LockCampaign, then LockItem), so two reviewers deciding one item at once are
// serialized and the second sees the first's decision. The memory engine holds one write
// lock for the whole transaction, which gives the same guarantees.
//
// The store checks nothing about permissions or the state machines: the service layer does.
package store
