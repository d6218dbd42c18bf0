// Package pgoutbox is the PostgreSQL engine of the transactional outbox.
//
// Its tables live in each service's schema and are created by pgstore's kit migrations
// (package pgstore/kitmigrations): outbox(seq bigserial, sink, event_id, payload, created_at),
// unique per (sink, event_id) and indexed on (sink, seq); and processed_events(event_id) for
// idempotent receivers. Every function here expects connections whose search_path is the
// service schema, as pgstore sets it.
//
// A service's store calls [Append] inside the transaction that changes its state
// (pgstore.DB.InTx), once per event, naming every sink that should receive it; after the
// commit it calls Relay.Notify. A receiver calls [MarkProcessed] in the transaction that
// applies a delivered event and skips the event when it is not new.
//
// # Ordering, and why there is no cursor
//
// seq is drawn from a sequence at insert, not at commit. Transaction A may draw seq 5, then B
// draws seq 6 and commits first; for a moment 6 is visible and 5 is not. A relay that
// remembered "delivered up to 6" would never deliver 5. So [Store.Pending] keeps no cursor: it
// reads the undelivered rows of the sink (ordered by seq) and [Store.Ack] deletes delivered
// rows; a late-committing row is simply picked up by the next read. The cost: across
// subjects, events may reach the sink out of seq order, and source_seq (= seq) is not a
// commit-order clock; receivers must not drop an event for carrying a smaller source_seq.
//
// Per subject, order holds: a service appends a subject's event after taking the row lock of
// that subject (UPDATE ... or SELECT ... FOR UPDATE in the same transaction), so a second
// change of the subject waits for the first to commit and draws a larger seq only after the
// first row is visible. The relay delivers undelivered rows in seq order and never moves past
// one that failed, so the first change reaches the sink first.
//
// Relays wake without polling, in every replica: the kit's trigger on outbox (migration
// 00040) NOTIFYs "outbox.<schema>" with the sink at commit, and [Store.Wakeups] LISTENs to it
// (outbox.Relays runs it; the 1 s poll stays as a fallback for a lost listener).
//
// Across replicas, each sink's outbox is spread over [Partitions] partitions by a hash of the
// event's subject ([Partition], the part column, kit migration 00080), and each replica's
// relay delivers only the partitions it leases ([Store.Lease]: session advisory locks on a
// connection of their own, rebalanced every [LeaseInterval]). One relay delivers a partition
// at a time, in seq order, so the order per subject holds with any number of replicas, and
// the replicas split the work without a lock round trip per batch.
//
// pgoutbox imports package outbox, pgx and the generated events, and pgstore only for its
// Shell and Listen (its Append, Store and leases work on any pgx transaction and pool); it
// must not import any service.
package pgoutbox
