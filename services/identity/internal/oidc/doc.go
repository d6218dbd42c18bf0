// Package oidc verifies OIDC bearer tokens against a configured issuer: discovery, the
// issuer's JWKS (fetched and refreshed by go-oidc), signature, issuer, audience, expiry.
//
// It implements a verifier the application layer (internal/app) declares; it must not
// import the store, grpcapi or any SQL driver.
package oidc
