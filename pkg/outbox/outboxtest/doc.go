// Package outboxtest is the contract suite every outbox engine passes: [Run] takes a function
// that makes a fresh, empty engine and checks appends, transactions, acks, sink independence,
// dedupe, and a relay delivering through failures, in order, and stopping cleanly.
//
// The memory engine runs it in package outbox's tests, the PostgreSQL engine in pgoutbox's.
// Callers should also check for leaked goroutines (goleak.VerifyTestMain) in their TestMain.
//
// outboxtest imports package outbox and the generated events only; it must not import any
// engine, so that no engine gets a test the other does not.
package outboxtest
