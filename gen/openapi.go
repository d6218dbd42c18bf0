// Package gen holds Grantflow's generated code (go/) and the merged OpenAPI document
// (openapi/), embedded here so the gateway can serve it. Everything under go/ and
// openapi/ is written by `make generate`; do not edit it by hand.
package gen

import _ "embed"

// OpenAPI is the merged OpenAPI (Swagger 2.0) document of the whole REST API.
//
//go:embed openapi/grantflow.swagger.json
var OpenAPI []byte
