// Package store is the task service's storage contract. Writes happen only inside InTx
// closures, where the change and its outbox events commit together; both engines (memory/,
// postgres/) implement the same interface and run the same contract suite (storetest/).
//
// Concurrency is the store's job, expressed in two locks that a transaction takes before it
// reads what it will change: LockStep (every change to a request's tasks holds the lock of
// their step, so the tally that settles a step is never stale) and LockTask (a task's row).
// Locks are taken step first, then task, and steps of one request in index order, so two
// transactions never wait for each other in a circle. The memory engine holds one write lock
// for the whole transaction, which gives the same guarantees.
//
// The store checks nothing about permissions or the state machine: the service layer does.
package store
