// Package directory asks the identity service, through its generated internal client,
// what the policy service must know before it writes: which apps (with their permissions
// and custom roles), groups and users exist. It implements app.Directory. The caller of
// the command travels with each call as the kit's signed internal token (pkg/auth's client
// interceptor, installed by pkg/grpcclient), so identity sees who is asking.
//
// directory imports the generated identity contract and the kit's errs; it must not import
// the identity service's code.
package directory
