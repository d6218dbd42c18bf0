// Package policyfile is Grantflow's policies as code: the YAML format of a policies file
// (docs/POLICIES-AS-CODE.md), its parsing with file, line and field in every error, its
// resolution against the organization's directory (apps and permissions, groups and users
// by name), the plan that makes the server match a file (create, new version, activate,
// nothing), and the export of the server's policies in the same format.
//
// policyfile knows the generated API types and YAML; it must not import an HTTP or gRPC
// client, nor any service's code: the command line (package cli) fetches what it needs and
// carries out the plan.
package policyfile
