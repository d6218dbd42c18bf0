// Package task is the task service: review, action and standalone tasks, their assignees,
// decisions and history; inboxes; and the step outcomes that the request service advances
// on. New assembles it on the memory or the PostgreSQL engine; Register puts its public and
// internal gRPC services on a server; the binary is cmd/task. Other services reach it only
// through the generated gRPC clients, and it reaches identity only through identity's.
package task
