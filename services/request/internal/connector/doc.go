// Package connector is how the system agent carries out an action step: a Connector
// provisions the change in the app. Two exist: Directory (the change is recorded in
// Grantflow's own directory, identity) and Webhook (a signed JSON POST to a configured URL,
// retried with backoff).
//
// It must not import the application layer, the store or grpcapi: app calls it.
package connector
