// Package domain is the task context in plain Go: tasks, the steps they belong to, the
// state machine of a task (pending, then done, declined or cancelled) and the rule that
// settles a step from its tasks' decisions (ANY, ALL, QUORUM). It imports no gRPC, SQL,
// store or kit package.
package domain
