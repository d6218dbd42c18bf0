// Package stdwebhook is how Grantflow calls out over HTTP the Standard Webhooks way
// (https://www.standardwebhooks.com), for every sender: the notification service's
// subscriptions and the request service's provisioning connectors share it, so both sign,
// verify and guard their connections the same way.
//
//   - Signing: [Sign] (the webhook-signature header: "v1," + base64 HMAC-SHA256 over
//     "id.timestamp.body"), secrets as "whsec_" + base64 ([NewSecret], [FormatSecret],
//     [ParseSecret]).
//   - Verifying, for receivers and tests: [Verify] checks the signature in constant time
//     and refuses a timestamp outside a tolerance window (a replayed request).
//   - Where a call may go: [URLPolicy.ValidateURL] (https, no user info, no literal
//     loopback, private or link-local host) and [NewHTTPClient], whose dialer checks the
//     address of every connection after DNS ([IsPublic]) and which never follows a
//     redirect. GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1 lifts the address rules and allows http.
//
// stdwebhook imports pkg/errs only; it knows no service, store or gRPC.
package stdwebhook
