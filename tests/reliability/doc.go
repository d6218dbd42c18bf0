// Package reliability holds Grantflow's fault, retry and race tests (integration tier). They
// build every service binary, run each as its own process on a fresh PostgreSQL database and
// on a Redis server of their own, drive the governed request lifecycle over gRPC as real
// people would, and break things underneath it:
//
//   - TestRedisDownUnderLoad: Redis is killed in the middle of the load and started again;
//     no call may fail, every lifecycle must reach DONE.
//   - TestPostgresConnectionsDroppedUnderLoad: every backend of the services' database is
//     terminated, again and again, during the load; calls may fail only with a retryable
//     code, no request may be left half-written, and the services recover by themselves.
//   - TestRequestServiceKilledWhileTasksAreDecided: kill -9 of the request service while
//     people decide tasks; the outcomes wait in the task service's outbox and every request
//     advances to DONE once request is back.
//   - TestRetriedCallsHaveOneEffect: every mutating call that carries a client id, retried
//     concurrently, has exactly one effect; the same id with another body is ALREADY_EXISTS.
//   - TestApproveDeclineRaces: 1,000 approve/decline pairs at once; exactly one decision
//     wins each task, and every request agrees with its task.
//   - TestTwoReplicasShareTheLifecycles: two processes each of request, task and audit on
//     one database; 40 lifecycles at once reach DONE with each advance done once, and every
//     replica serves calls and delivers outbox events.
//   - TestAReplicaKilledUnderLoadLosesNothing: the same, with request-2 killed (kill -9)
//     after 10 lifecycles; request takes its outbox partitions over and nothing is lost.
//
// docs/RELIABILITY.md says what Grantflow guarantees and which test shows each guarantee.
//
// The package has no code outside its tests, and imports no service: it starts the services
// as binaries (built from their own module folders) and checks them through their public and
// internal gRPC APIs and, read-only, their PostgreSQL schemas.
package reliability
