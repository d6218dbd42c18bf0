package scim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// The enterprise extension and the manager path as identity providers spell them.
const (
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	managerPath   = enterpriseURN + ":manager"
)

// normalize rewrites the request bodies real clients send, where the library refuses them,
// into the form RFC 7643 defines, before the library validates them:
//
//   - Microsoft Entra ID sends the manager as a bare id, {"op": "Add", "path":
//     "urn:...:enterprise:2.0:User:manager", "value": "<id>"}, where the attribute is a
//     complex one ({"value": "<id>"}). The same bare id is taken in a PATCH without path
//     ({"urn:...:User:manager": "<id>"} or {"urn:...:User": {"manager": "<id>"}}) and in a
//     POST or PUT body's extension.
//
// Everything else the real clients do is the library's: operation names in any case, the
// strings "True" and "False" for booleans (schema.SetAllowStringValues), PATCH without a
// path, value filters in paths. A body that is not JSON goes on untouched, for the library
// to refuse with invalidSyntax.
func normalize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || (r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch) ||
			!strings.Contains(r.URL.Path, "/Users") {
			next.ServeHTTP(w, r)
			return
		}
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			writeError(w, errBodyTooLarge)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(raw))
		if out, changed := normalizeUserBody(raw, r.Method == http.MethodPatch); changed {
			r.Body = io.NopCloser(bytes.NewReader(out))
			r.ContentLength = int64(len(out))
		}
		next.ServeHTTP(w, r)
	})
}

func normalizeUserBody(raw []byte, patch bool) ([]byte, bool) {
	var body map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&body) != nil {
		return nil, false
	}
	changed := false
	if !patch {
		changed = wrapExtensionManager(body)
	} else {
		for key, ops := range body {
			if !strings.EqualFold(key, "Operations") {
				continue
			}
			list, _ := ops.([]any)
			for _, op := range list {
				op, _ := op.(map[string]any)
				if op == nil {
					continue
				}
				path, _ := lookup(op, "path").(string)
				switch value := lookup(op, "value").(type) {
				case string:
					if strings.EqualFold(strings.TrimSpace(path), managerPath) {
						set(op, "value", map[string]any{"value": value})
						changed = true
					}
				case map[string]any:
					if path == "" {
						for k, v := range value {
							if s, ok := v.(string); ok && strings.EqualFold(k, managerPath) {
								value[k] = map[string]any{"value": s}
								changed = true
							}
						}
						changed = wrapExtensionManager(value) || changed
					}
				}
			}
		}
	}
	if !changed {
		return nil, false
	}
	out, err := json.Marshal(body)
	if err != nil {
		return nil, false
	}
	return out, true
}

// wrapExtensionManager turns {"urn:...:enterprise:2.0:User": {"manager": "<id>"}} into the
// complex form, in place.
func wrapExtensionManager(m map[string]any) bool {
	changed := false
	for k, ext := range m {
		ext, ok := ext.(map[string]any)
		if !ok || !strings.EqualFold(k, enterpriseURN) {
			continue
		}
		for ek, v := range ext {
			if s, ok := v.(string); ok && strings.EqualFold(ek, "manager") {
				ext[ek] = map[string]any{"value": s}
				changed = true
			}
		}
	}
	return changed
}

// lookup and set read and write a key of a JSON object in any case, as SCIM attribute
// names are case-insensitive.
func lookup(m map[string]any, key string) any {
	for k, v := range m {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

func set(m map[string]any, key string, v any) {
	for k := range m {
		if strings.EqualFold(k, key) {
			m[k] = v
			return
		}
	}
	m[key] = v
}
