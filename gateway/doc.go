// Package gateway is Grantflow's REST edge: grpc-gateway routes for every public call, in
// front of the gRPC services. It authenticates each call once (API key or OIDC token,
// asked of identity through the Redis cache) and carries the caller to the services as
// the kit's signed internal token; it owns no data.
//
// Order of the HTTP middleware, outermost first: OpenTelemetry (W3C trace context from
// the incoming request), request id, body size limit, CORS, then the grpc-gateway mux,
// inside which authentication runs only for matched /v1 routes.
//
// Every route is grpc-gateway's generated one but GET /v1/auditEvents:export (export.go),
// served from audit's server stream as JSON lines so that a refused export is an ordinary
// error response.
//
// SCIM 2.0 for identity providers is served at /scim/v2 (package scim, mounted by scim.go
// when identity is a backend), with its own authentication step (SCIM error bodies, Admin
// and General Manager only) and the same rate limit.
//
// Beside the API: GET /healthz, GET /readyz, GET /openapi.json and, when Options.Metrics is
// set, GET /metrics (Prometheus; not traced, not counted). Every other request is counted in
// http.server.request.duration (rate, errors by status, duration), labelled service.name
// grantflow-gateway; per-call detail is in the gateway's gRPC client metrics.
package gateway
