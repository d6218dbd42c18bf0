// Package timer is the kit's one pattern for durable timers: due dates, escalations,
// reminders and expiring access.
//
// A timer is a row in the owning service's own store, written in the same transaction as
// the state change that sets it (Scheduler, which a service's store.Tx implements), keyed so
// that setting a key again replaces its timer and cancelling it removes it. A [Runner] polls
// the store with an injected [Clock]: it takes the timers due at the clock's now, and fires
// each in one transaction of the service's store that also removes it, so the work a timer
// does commits with the timer's removal, or neither happens. A timer therefore fires once,
// and a restart (or a crash between taking and committing) loses none: the row is still
// there until the work commits.
//
// Engines: [Memory] keeps timers inside a memstore engine's state (the memory engine of a
// service); pgtimer keeps them in the kit table "timers" of the service's PostgreSQL schema
// (a kit migration), taken with FOR UPDATE SKIP LOCKED so that several replicas share the
// work without firing a timer twice. timertest is the contract suite both run.
//
// Tests never wait for real durations: they give the service a [ManualClock], move it, and
// call [Runner.FireDue] (or let Run's poll find the due timers).
//
// timer imports the kit's memstore and the standard library; it knows no service.
package timer
