package scim

import (
	"context"
	"strings"

	"github.com/elimity-com/scim"
	scimfilter "github.com/elimity-com/scim/filter"
	filter "github.com/scim2/filter-parser/v2"
)

// eqLookup recognizes a filter identity answers as a lookup: `attr eq "value"` on userName,
// externalId, displayName or id (optionally with the core schema's URN). attr is returned
// lower-cased. The results are still checked against the whole filter by the library.
func eqLookup(v *scimfilter.Validator, coreURN string) (attr, value string, ok bool) {
	if v == nil {
		return "", "", false
	}
	e, isAttr := v.GetFilter().(*filter.AttributeExpression)
	if !isAttr || e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil {
		return "", "", false
	}
	if uri := e.AttributePath.URI(); uri != "" && !strings.EqualFold(uri, coreURN) {
		return "", "", false
	}
	value, isString := e.CompareValue.(string)
	if !isString {
		return "", "", false
	}
	switch attr = strings.ToLower(e.AttributePath.AttributeName); attr {
	case "username", "externalid", "displayname", "id":
		return attr, value, true
	}
	return "", "", false
}

// listAll reads every page of a list.
func listAll[T any](ctx context.Context, page func(ctx context.Context, token string) ([]T, string, error)) ([]T, error) {
	var all []T
	token := ""
	for {
		items, next, err := page(ctx, token)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if next == "" {
			return all, nil
		}
		token = next
	}
}

// window is the page a client asked for: count items from the 1-based startIndex.
func window(items []scim.Resource, startIndex, count int) []scim.Resource {
	out := []scim.Resource{}
	if startIndex < 1 {
		startIndex = 1
	}
	if startIndex > len(items) || count <= 0 {
		return out
	}
	end := min(startIndex-1+count, len(items))
	return append(out, items[startIndex-1:end]...)
}

// filterView is a resource as the library's filter evaluation reads it: the common
// attributes beside the others, and extension attributes also under "URN:name".
func filterView(r scim.Resource, withExtensions bool) map[string]any {
	m := make(map[string]any, len(r.Attributes)+3)
	for k, v := range r.Attributes {
		m[k] = v
		if ext, ok := v.(map[string]any); ok && withExtensions && strings.HasPrefix(k, "urn:") {
			for ek, ev := range ext {
				m[k+":"+ek] = ev
			}
		}
	}
	m["id"] = r.ID
	if r.ExternalID.Present() {
		m["externalId"] = r.ExternalID.Value()
	}
	meta := map[string]any{}
	if r.Meta.Created != nil {
		meta["created"] = r.Meta.Created.Format("2006-01-02T15:04:05Z07:00")
	}
	if r.Meta.LastModified != nil {
		meta["lastModified"] = r.Meta.LastModified.Format("2006-01-02T15:04:05Z07:00")
	}
	m["meta"] = meta
	return m
}
