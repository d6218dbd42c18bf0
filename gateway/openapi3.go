package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

// The document the gateway publishes at /openapi.json, and that the web console's typed
// client is generated from (web/openapi.json is this function's output, checked by
// TestConsoleClientIsGeneratedFromServedDocument and make check-web).
//
// protoc-gen-openapiv2 writes Swagger 2; kin-openapi converts it to OpenAPI 3, and the
// post-processing below adds what a generator and a linter (Redocly's recommended rules)
// expect and the gRPC comments cannot say: a summary on every operation, the servers, the
// bearer scheme, and the error responses of the public contract, each with the
// {code, message, details} body.

// errorResponses are the HTTP errors every call may answer (API.md, "Errors").
var errorResponses = []struct{ code, name, description string }{
	{"400", "BadRequest", "INVALID_ARGUMENT (a google.rpc.BadRequest detail names the field) or FAILED_PRECONDITION (a state that forbids the call)."},
	{"401", "Unauthenticated", "No credentials, or credentials that are not valid."},
	{"403", "PermissionDenied", "A known caller whom the permissions matrix does not allow this call."},
	{"404", "NotFound", "Missing, or not visible to the caller."},
	{"409", "Aborted", "ABORTED (a lost race: two deciders at once, a stale etag) or ALREADY_EXISTS (a requestId reused with a different body)."},
}

const errorSchema = "googleRpcStatus"

// OpenAPI3 converts the merged Swagger 2 document to the published OpenAPI 3 document.
// The output is deterministic (sorted keys, indented).
func OpenAPI3(swagger []byte) ([]byte, error) {
	var doc2 openapi2.T
	if err := json.Unmarshal(swagger, &doc2); err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	doc, err := openapi2conv.ToV3(&doc2)
	if err != nil {
		return nil, fmt.Errorf("openapi: convert to OpenAPI 3: %w", err)
	}
	if doc.Components == nil {
		doc.Components = &openapi3.Components{}
	}
	if doc.Components.Schemas[errorSchema] == nil {
		return nil, fmt.Errorf("openapi: the document has no %s schema for error bodies", errorSchema)
	}
	doc.Servers = openapi3.Servers{{URL: "/", Description: "The gateway that serves this document."}}

	// Swagger 2 can only say "an API key in the Authorization header"; OpenAPI 3 says bearer.
	doc.Components.SecuritySchemes = openapi3.SecuritySchemes{
		"Bearer": &openapi3.SecuritySchemeRef{Value: &openapi3.SecurityScheme{
			Type: "http", Scheme: "bearer",
			Description: "Authorization: Bearer <API key or OIDC JWT>.",
		}},
	}
	doc.Security = openapi3.SecurityRequirements{{"Bearer": []string{}}}

	if doc.Components.Responses == nil {
		doc.Components.Responses = openapi3.ResponseBodies{}
	}
	for _, e := range errorResponses {
		d := e.description
		doc.Components.Responses[e.name] = &openapi3.ResponseRef{Value: &openapi3.Response{
			Description: &d,
			Content:     openapi3.NewContentWithJSONSchemaRef(openapi3.NewSchemaRef("#/components/schemas/"+errorSchema, nil)),
		}}
	}

	used := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			summarize(op)
			for _, e := range errorResponses {
				op.Responses.Set(e.code, &openapi3.ResponseRef{Ref: "#/components/responses/" + e.name})
			}
			for _, t := range op.Tags {
				used[t] = true
			}
		}
	}
	// The internal services' tags name no operation of the REST API.
	tags := doc.Tags[:0]
	for _, t := range doc.Tags {
		if used[t.Name] {
			tags = append(tags, t)
		}
	}
	sort.Slice(tags, func(i, j int) bool { return tags[i].Name < tags[j].Name })
	doc.Tags = tags

	// Schemas no operation reaches (google.protobuf.NullValue) are left out.
	for {
		out, err := encode(doc)
		if err != nil {
			return nil, err
		}
		unused := 0
		for name := range doc.Components.Schemas {
			if !strings.Contains(string(out), `"#/components/schemas/`+name+`"`) {
				delete(doc.Components.Schemas, name)
				unused++
			}
		}
		if unused == 0 {
			return out, nil
		}
	}
}

// encode writes the document indented, with keys sorted, and with <, > and & as they are.
func encode(doc *openapi3.T) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	// kin-openapi marshals its parts with encoding/json, which escapes <, > and &.
	out := bytes.ReplaceAll(b.Bytes(), []byte(`\u003c`), []byte("<"))
	out = bytes.ReplaceAll(out, []byte(`\u003e`), []byte(">"))
	return bytes.ReplaceAll(out, []byte(`\u0026`), []byte("&")), nil
}

// summarize gives an operation a one-sentence summary: the first sentence of its gRPC
// comment (the whole comment stays as the description), or, for an rpc without a
// comment, its method name in words ("IdentityService_ListApps" -> "List apps").
func summarize(op *openapi3.Operation) {
	text := strings.TrimSpace(op.Summary)
	if text == "" {
		text = strings.TrimSpace(op.Description)
	}
	if text == "" {
		_, method, _ := strings.Cut(op.OperationID, "_")
		op.Summary = words(method)
		return
	}
	first := text
	if i := strings.Index(text, ". "); i >= 0 {
		first = text[:i+1]
	}
	if i := strings.Index(first, "\n\n"); i >= 0 {
		first = first[:i]
	}
	first = strings.Join(strings.Fields(first), " ")
	if first != text && op.Description == "" {
		op.Description = text
	}
	op.Summary = first
}

// words turns "ListApiKeys" into "List api keys".
func words(camel string) string {
	var b strings.Builder
	for i, r := range camel {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
