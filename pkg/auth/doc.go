// Package auth carries the caller through Grantflow.
//
// A call enters with a bearer credential (an API key or an OIDC JWT). The first service
// it reaches (the gateway, or any service called directly over gRPC) turns it into a
// Principal through an Authenticator (identity answers; a Redis cache sits in front).
// From then on the caller travels between services as a signed, short-lived internal
// token in the x-grantflow-caller metadata key: an HMAC-SHA256 JWT minted with a secret
// every Grantflow process shares. Plain metadata is never trusted as identity: a token
// that does not verify is refused, and a user's own credential can never produce one.
//
// auth knows no service; it imports the generated identity types only for Role.
package auth
