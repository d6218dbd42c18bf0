package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strings"
)

// The API reference page (GET /docs): the generated OpenAPI document rendered as one
// static HTML page, on the server, with no script and nothing fetched from the internet
// (the usual viewers load their code from a CDN, which a closed network cannot reach).

type swaggerDoc struct {
	Info struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Paths       map[string]map[string]swaggerOp `json:"paths"`
	Definitions map[string]swaggerSchema        `json:"definitions"`
}

type swaggerOp struct {
	Summary    string          `json:"summary"`
	Tags       []string        `json:"tags"`
	Parameters []swaggerParam  `json:"parameters"`
	Responses  map[string]resp `json:"responses"`
}

type resp struct {
	Schema *swaggerSchema `json:"schema"`
}

type swaggerParam struct {
	Name        string         `json:"name"`
	In          string         `json:"in"`
	Required    bool           `json:"required"`
	Type        string         `json:"type"`
	Description string         `json:"description"`
	Enum        []string       `json:"enum"`
	Schema      *swaggerSchema `json:"schema"`
}

type swaggerSchema struct {
	Ref         string                   `json:"$ref"`
	Type        string                   `json:"type"`
	Title       string                   `json:"title"`
	Description string                   `json:"description"`
	Enum        []string                 `json:"enum"`
	Items       *swaggerSchema           `json:"items"`
	Properties  map[string]swaggerSchema `json:"properties"`
	ReadOnly    bool                     `json:"readOnly"`
}

type docOp struct {
	Method, Path, Summary, Anchor string
	Params                        []docField
	Body, Response                string // definition names, linked
}

type docField struct {
	Name, Type, Where, Description string
	Required, OutputOnly           bool
}

type docGroup struct {
	Name string
	Ops  []docOp
}

type docDef struct {
	Name, Description string
	Enum              []string
	Fields            []docField
}

// typeName renders a schema's type, naming definitions by their short name.
func typeName(s *swaggerSchema) string {
	switch {
	case s == nil:
		return ""
	case s.Ref != "":
		return strings.TrimPrefix(s.Ref, "#/definitions/")
	case s.Type == "array":
		return "[]" + typeName(s.Items)
	case len(s.Enum) > 0:
		return "enum"
	}
	return s.Type
}

func describe(s swaggerSchema) string {
	return strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{s.Title, s.Description}, func(x string) bool { return x == "" }), " "))
}

// renderAPIDocs builds the page from an OpenAPI (Swagger 2) document.
func renderAPIDocs(spec []byte) ([]byte, error) {
	var doc swaggerDoc
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("api docs: %w", err)
	}
	groups := map[string]*docGroup{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			g := groups[tag]
			if g == nil {
				g = &docGroup{Name: tag}
				groups[tag] = g
			}
			d := docOp{Method: strings.ToUpper(method), Path: path, Summary: op.Summary,
				Anchor: strings.NewReplacer("/", "-", "{", "", "}", "", ":", "-").Replace(method + path)}
			for _, p := range op.Parameters {
				if p.In == "body" {
					d.Body = typeName(p.Schema)
					continue
				}
				t := p.Type
				if len(p.Enum) > 0 {
					t = "enum: " + strings.Join(p.Enum, ", ")
				}
				d.Params = append(d.Params, docField{Name: p.Name, Type: t, Where: p.In, Description: p.Description, Required: p.Required})
			}
			if r, ok := op.Responses["200"]; ok {
				d.Response = typeName(r.Schema)
			}
			g.Ops = append(g.Ops, d)
		}
	}
	var gs []docGroup
	for _, g := range groups {
		sort.Slice(g.Ops, func(i, j int) bool {
			if g.Ops[i].Path != g.Ops[j].Path {
				return g.Ops[i].Path < g.Ops[j].Path
			}
			return g.Ops[i].Method < g.Ops[j].Method
		})
		gs = append(gs, *g)
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Name < gs[j].Name })
	var defs []docDef
	for name, s := range doc.Definitions {
		d := docDef{Name: name, Description: describe(s), Enum: s.Enum}
		for field, fs := range s.Properties {
			d.Fields = append(d.Fields, docField{Name: field, Type: typeName(&fs), Description: describe(fs), OutputOnly: fs.ReadOnly})
		}
		sort.Slice(d.Fields, func(i, j int) bool { return d.Fields[i].Name < d.Fields[j].Name })
		defs = append(defs, d)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	var buf bytes.Buffer
	err := docsPage.Execute(&buf, map[string]any{"Title": doc.Info.Title, "Version": doc.Info.Version, "Groups": gs, "Defs": defs})
	return buf.Bytes(), err
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Grantflow API reference</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem 2rem;color:#222}
h2{margin-top:2.5rem;border-bottom:1px solid #ddd} code,.path{font-family:ui-monospace,monospace}
.op{margin:1rem 0;padding:.6rem .9rem;border:1px solid #e3e3e3;border-radius:6px}
.m{display:inline-block;min-width:4.2rem;font-weight:600} .GET{color:#1a6} .POST{color:#26c} .PATCH{color:#a60} .DELETE{color:#c33}
table{border-collapse:collapse;margin:.4rem 0} td,th{padding:.15rem .6rem;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
.sum{white-space:pre-wrap;color:#444} .muted{color:#777}
</style></head><body>
<h1>Grantflow API reference</h1>
<p>Generated from the gRPC contracts (<a href="/openapi.json">/openapi.json</a>). Every call needs
<code>Authorization: Bearer &lt;API key or OIDC token&gt;</code>. JSON field names are lowerCamelCase,
enums are their names, 64-bit numbers are strings. Errors are <code>{code, message, details}</code>.</p>
<ul>{{range .Groups}}<li><a href="#{{.Name}}">{{.Name}}</a></li>{{end}}<li><a href="#definitions">Types</a></li></ul>
{{range .Groups}}<h2 id="{{.Name}}">{{.Name}}</h2>
{{range .Ops}}<div class="op" id="{{.Anchor}}"><div><span class="m {{.Method}}">{{.Method}}</span> <span class="path">{{.Path}}</span></div>
<div class="sum">{{.Summary}}</div>
{{if .Params}}<table><tr><th>parameter</th><th>in</th><th>type</th><th></th></tr>{{range .Params}}<tr><td><code>{{.Name}}</code>{{if .Required}} *{{end}}</td><td>{{.Where}}</td><td>{{.Type}}</td><td>{{.Description}}</td></tr>{{end}}</table>{{end}}
{{if .Body}}<div>Body: <a href="#def-{{.Body}}">{{.Body}}</a></div>{{end}}
{{if .Response}}<div>Answer: <a href="#def-{{.Response}}">{{.Response}}</a></div>{{end}}
</div>{{end}}{{end}}
<h2 id="definitions">Types</h2>
{{range .Defs}}<div class="op" id="def-{{.Name}}"><b>{{.Name}}</b> <span class="muted">{{.Description}}</span>
{{if .Enum}}<div>one of: {{range .Enum}}<code>{{.}}</code> {{end}}</div>{{end}}
{{if .Fields}}<table>{{range .Fields}}<tr><td><code>{{.Name}}</code></td><td>{{.Type}}</td><td>{{if .OutputOnly}}<span class="muted">output only</span> {{end}}{{.Description}}</td></tr>{{end}}</table>{{end}}
</div>{{end}}
</body></html>
`))

// apiDocsHandler serves the page, rendered once.
func apiDocsHandler(spec []byte) (http.HandlerFunc, error) {
	page, err := renderAPIDocs(spec)
	if err != nil {
		return nil, err
	}
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_, _ = w.Write(page)
	}, nil
}
