// Package scim serves SCIM 2.0 (RFC 7643, RFC 7644) at /scim/v2 on the gateway, for HR
// systems and identity providers (Microsoft Entra ID, Okta) that provision Grantflow's
// directory: Users, Groups, ServiceProviderConfig, ResourceTypes and Schemas.
//
// The protocol (routing, schema validation, the filter grammar, PATCH parsing, list
// responses, error bodies) is github.com/elimity-com/scim's. This package holds what the
// library leaves to its user: the mapping between SCIM resources and identity's users and
// groups, the application of PATCH operations, and the habits of real clients the library
// does not accept as they are (see normalize.go).
//
// It owns no data: every call is a call to identity over gRPC, as the caller (the bearer
// credential becomes the principal in the context, which the gateway's gRPC client carries
// on as the signed internal token). Only an Admin or the General Manager may use it (the
// matrix's "Integrate HRIS/IdP"); identity enforces its own rules on every call as well.
//
// It must not import any service's code: only the generated identity client and pkg/.
package scim
