// Package kit assembles Grantflow services the one way both ways to run share.
//
// Each service exposes one [Service]: its name, its constructor (New, which opens the
// store, dials what the service calls through an [Env] and builds its relays) and its
// migrations. A process runs a [Set] of them:
//
//   - a service's own binary (the distributed mode) calls [Main], which builds a Set of that
//     one service with the [Apart] dialer (each service at GRANTFLOW_<SERVICE>_ADDR) and
//     serves it on its own gRPC server;
//   - the all-in-one process (cmd/grantflow) builds a Set of every service with the
//     [Shared] dialer (every service on its one gRPC server, reached through the process's
//     in-memory listener, process.InMemory: no socket between them).
//
// Either way the constructor, the settings (pkg/config), the clients (pkg/grpcclient: one
// retry policy, built from the protos' idempotency_level) and the event sinks are the same,
// so the two ways to run cannot drift apart.
//
// Events travel one way over the wire: every receiver serves
// grantflow.events.v1.EventSinkService/DeliverEvents; the producer's sink
// ([Env.Sink], outbox.GRPCSink) names the receiver in the metadata key
// outbox.ReceiverKey, and [Set.Register] serves one router that hands the delivery to it
// (on a server with one receiver, a delivery naming none goes to that one). In a set of
// several services, their relays to a record sink (audit, notification) deliver in shared
// rounds (outbox.Coalescer): one call for all of them.
//
// Adding a service is:
//
//  1. its module under services/<name> with internal/{app,domain,grpcapi,store};
//     a gRPC service of its protos that only other services may call declares
//     `option (grantflow.options.v1.internal) = true` (the servers refuse it to people:
//     [InternalMethod]);
//  2. its constructor: services/<name>/<name>.go exports `var Kit = kit.Define(engines,
//     options, New)`: its [Engines] (memory and PostgreSQL, [NewEngines]), the options both
//     ways to run make of the [Env] (its Options embed [Settings]), and New(ctx, Options),
//     which builds its [Module] (Register, and Run, Ping and Close from an embedded
//     [Base]) inside [Open] on its [Parts];
//  3. its binary: services/<name>/cmd/<name>/main.go calling kit.Exit(<name>.Kit);
//  4. one line in cmd/grantflow's list of services (services.go), and its address in
//     pkg/config (GRANTFLOW_<NAME>_ADDR, config.Config.Addr);
//  5. one entry in make up (services in deploy/cmd/gfops/up.go) and in deploy/ (compose and Kubernetes).
package kit
