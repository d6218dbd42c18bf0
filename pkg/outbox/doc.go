// Package outbox is the kit's transactional outbox: a service records the events of a state
// change in the same transaction as the change, and a [Relay] delivers them afterwards to a
// [Sink] (usually another service's EventSinkService), at least once and in order.
//
// A service's store appends each event once per sink that should receive it ("audit",
// "request", ...). Each (sink, event) is a row of its own with its own position, source_seq,
// assigned by the outbox at append. [Store] is what the relay needs from an engine: the oldest
// undelivered events of a sink ([Store.Pending]) and their removal once delivered ([Store.Ack]).
//
// Engines:
//
//   - [Memory], for services' memory stores and tests. A memory store stages events in a
//     [Batch] during its transaction and commits the batch only when the transaction succeeds.
//   - package pgoutbox, for PostgreSQL stores opened with pgstore (whose kit migrations create
//     the outbox tables in every service schema).
//
// Both engines pass the same contract suite, package outboxtest.
//
// Delivery guarantees: at least once. The relay delivers a batch, and removes it only after
// the sink accepted it; when delivery fails it waits (exponential backoff) and sends the same
// batch again, never skipping past an undelivered event. A receiver must therefore be
// idempotent: it records applied event ids in the transaction that applies them
// (pgoutbox.MarkProcessed, [Batch.MarkProcessed]) and skips ids it has seen.
//
// Events of one subject reach a sink in the order their transactions committed. source_seq is
// a position, not a commit-order clock: two concurrent transactions may commit in the other
// order than their positions (see package pgoutbox), so receivers must not reject an event for
// having a smaller source_seq than one already seen.
//
// Shared rounds: in one process that runs several producers (the all-in-one), their relays
// to the same record sink may deliver through a [Coalescer], one call per round; each relay
// still acknowledges only its own events, once the round's call returned nil.
//
// Replicas: a store that is a [Leaser] (pgoutbox) spreads each sink's events over partitions
// by subject, and [Relays] lease a share of them per process, so that the replicas of a
// service split its relays and one relay at a time delivers a subject's events.
//
// outbox imports the generated events contract and nothing of the kit's storage packages or of
// any service; it must not import pgx or pgstore (that is pgoutbox's job).
package outbox
