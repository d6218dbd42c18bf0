// Package cli is the grantflow command line's client side: login and its stored profile,
// requests, tasks, policies (and policies as code, through package policyfile) and audit,
// as commands of a cobra tree that the grantflow binary roots beside serve.
//
// It is a REST client of the gateway: the calls go where web clients and operators go,
// through the edge, with the same credentials, rate limits and error bodies, and the
// bodies are the generated API types (gen/go) read and written with protojson, so there is
// no second definition of any resource. One output layer (-o table|json|yaml) serves every
// command.
//
// cli must not import any service's code, pkg/process or the gateway: it is a client. The
// one exception is the audit service's offline verifier (audit.VerifyExport), which needs no
// server and is reused rather than copied.
package cli
