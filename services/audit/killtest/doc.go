// Package killtest holds the audit service's crash test (integration tier): it builds the
// audit and identity binaries, runs them as real processes on PostgreSQL and Redis, drives a
// burst of identity writes, and kill -9s the audit process ten times during the burst. Every
// event identity committed must then be in the audit log exactly once, each subject's events
// in commit order, the chain must verify, and the backlog must drain within 30 s of the last
// restart.
//
// The package has no code outside its tests. It imports the audit service's internal chain
// and store packages only to check the result independently of the running service; it
// starts identity as a binary and never imports identity's code.
package killtest
