// Package connector is how the system agent carries out an action step: a Connector
// provisions the change in the app. Two exist: Directory (the change is recorded in
// Grantflow's own directory, identity) and Webhook (a JSON POST signed the Standard
// Webhooks way by pkg/stdwebhook, over its guarded client, retried with backoff). The
// Registry asks a Lookup (identity's per-app connectors) at every action, then the
// deprecated GRANTFLOW_AGENT_WEBHOOKS setting, then the default.
//
// It must not import the application layer, the store or grpcapi: app calls it.
package connector
