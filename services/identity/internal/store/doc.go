// Package store is the identity service's storage contract. Writes happen only inside
// InTx closures, where the change and its outbox events commit together; both engines
// (memory/, postgres/) implement the same interface and run the same contract suite
// (storetest/). The store checks nothing about permissions: the service layer does.
package store
