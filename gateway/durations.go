package gateway

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
)

// badDuration names the field of a body whose google.protobuf.Duration does not parse
// (protojson's own error quotes the value, not the field): the path of the first string in
// raw that is not a valid protojson duration but sits under a key that holds durations
// ("dueAfter", "after", "maxAccessDuration", "accessDuration", or any key ending in
// "Duration"). "" when none is found.
func badDuration(raw []byte) string {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	return findBadDuration(v, "")
}

func durationKey(k string) bool {
	return k == "dueAfter" || k == "after" || strings.HasSuffix(k, "Duration")
}

func findBadDuration(v any, path string) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			if s, ok := x[k].(string); ok && durationKey(k) {
				if protojson.Unmarshal([]byte(fmt.Sprintf("%q", s)), &durationpb.Duration{}) != nil {
					return p
				}
				continue
			}
			if f := findBadDuration(x[k], p); f != "" {
				return f
			}
		}
	case []any:
		for i, e := range x {
			if f := findBadDuration(e, fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f
			}
		}
	}
	return ""
}
