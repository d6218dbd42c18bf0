// Package webhook sends one delivery the Standard Webhooks way
// (https://www.standardwebhooks.com): the signature (Sign), an HTTP client that refuses to
// reach loopback, private and link-local addresses (Client: the check runs on every
// connection, on the address DNS gave, so a name that resolves to 127.0.0.1 or to the
// metadata address 169.254.169.254 is refused too), https only, no redirects; and the
// retry schedule (Retry, exponential backoff from github.com/cenkalti/backoff).
//
// webhook imports the domain only; it knows no store and no gRPC.
package webhook
