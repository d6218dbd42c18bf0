// Package memstore is the shell of every service's memory engine: the state behind one
// read-write lock, one transaction at a time, an undo log that restores the state when the
// transaction fails or panics, and (for a service that emits events) an in-memory outbox whose
// rows become visible only when the transaction commits.
//
// A service keeps its own state type S and its own store.Tx: the Tx writes straight into the
// state through [Put] and [Delete] (or calls [Remember] or [Tx.OnRollback] before a change of
// its own), and reaches the outbox through [Tx.Emit] and [Tx.MarkProcessed]. Its Store embeds
// a [Shell] (the engine, the outbox and InTx handing the closure the service's Tx); reads
// outside a transaction go through [View] (or take [Engine.Read]). What every engine's state
// does alike is here too: [Insert] and [InsertIndexed] (a create, or storekit.ErrConflict),
// [CheckUpdate] (a versioned update), [Get] and [GetBy] (a row, or storekit.ErrNotFound) and
// [Page] and [PageDesc] (a storekit.Page of a map's rows, filtered, ordered and cloned). A
// service whose state holds timers embeds timer.MemoryShell instead of Shell.
//
// memstore knows no service: it must not import services, gRPC, or a database.
package memstore
