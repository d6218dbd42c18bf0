package scim

import (
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"
)

// userPatch collects a PATCH request's operations, in order; onto applies the outcome.
type userPatch struct {
	email, workEmail, displayName, externalID, managerID *string
	nameFormatted, givenName, familyName                 *string
	active                                               *bool
}

func (p *userPatch) apply(op scim.PatchOperation) error {
	if op.Path == nil {
		// No path: the value is a set of attributes, each keyed by its path (or by an
		// extension's URN holding that extension's attributes).
		values, _ := op.Value.(map[string]any)
		for key, v := range values {
			if strings.EqualFold(key, enterpriseURN) {
				ext, _ := v.(map[string]any)
				for name, ev := range ext {
					uri := enterpriseURN
					if err := p.applyPath(op.Op, filter.Path{AttributePath: filter.AttributePath{URIPrefix: &uri, AttributeName: name}}, ev); err != nil {
						return err
					}
				}
				continue
			}
			path, err := filter.ParsePath([]byte(key))
			if err != nil {
				return scimerrors.ScimErrorInvalidPath
			}
			if err := p.applyPath(op.Op, path, v); err != nil {
				return err
			}
		}
		return nil
	}
	return p.applyPath(op.Op, *op.Path, op.Value)
}

func (p *userPatch) applyPath(op string, path filter.Path, v any) error {
	remove := op == scim.PatchOperationRemove
	name := strings.ToLower(path.AttributePath.AttributeName)
	sub := strings.ToLower(path.AttributePath.SubAttributeName())
	if s := path.SubAttributeName(); s != "" {
		sub = strings.ToLower(s)
	}
	if uri := path.AttributePath.URI(); strings.EqualFold(uri, enterpriseURN) {
		if name != "manager" {
			return nil // not kept
		}
		id := ""
		if !remove {
			if sub == "value" {
				id, _ = v.(string)
			} else if m, ok := v.(map[string]any); ok {
				id, _ = m["value"].(string)
			} else if sub != "" {
				return nil // manager.displayName, manager.$ref: not kept
			}
		}
		id = strings.TrimSpace(id)
		p.managerID = &id
		return nil
	}
	str := func() string { s, _ := v.(string); return strings.TrimSpace(s) }
	switch name {
	case "username":
		if remove {
			return mutability("userName is required")
		}
		e, err := emailOf(str())
		if err != nil {
			return err
		}
		p.email = &e
	case "displayname":
		if remove {
			return mutability("displayName is required in Grantflow; replace it instead")
		}
		s := str()
		if s == "" {
			return invalid("displayName must not be empty")
		}
		p.displayName = &s
	case "name":
		if remove {
			return nil
		}
		switch sub {
		case "formatted":
			s := str()
			p.nameFormatted = &s
		case "givenname":
			s := str()
			p.givenName = &s
		case "familyname":
			s := str()
			p.familyName = &s
		case "":
			m, _ := v.(map[string]any)
			for k, pv := range m {
				s, _ := pv.(string)
				s = strings.TrimSpace(s)
				switch strings.ToLower(k) {
				case "formatted":
					p.nameFormatted = &s
				case "givenname":
					p.givenName = &s
				case "familyname":
					p.familyName = &s
				}
			}
		}
	case "emails":
		if remove {
			return nil // the one email stays: it is the userName
		}
		if path.ValueExpression != nil {
			// emails[type eq "work"].value: the user's one email is the primary work address.
			work := map[string]any{"value": "", "type": "work", "primary": true}
			if sub != "value" || scimfilter.NewFilterValidator(path.ValueExpression, schema.Schema{
				Attributes: scimfilter.MultiValuedFilterAttributes(emailsAttribute()),
			}).PassesFilter(work) != nil {
				return nil // another address: not kept
			}
			e, err := emailOf(str())
			if err != nil {
				return err
			}
			p.workEmail = &e
			return nil
		}
		list, _ := v.([]any)
		if e := pickEmail(list); e != "" {
			e, err := emailOf(e)
			if err != nil {
				return err
			}
			p.workEmail = &e
		}
	case "active":
		if remove {
			return mutability("active cannot be removed; replace it with false to offboard")
		}
		b, ok := v.(bool)
		if !ok {
			return invalid("active must be true or false")
		}
		p.active = &b
	case "externalid":
		s := ""
		if !remove {
			s = str()
		}
		p.externalID = &s
	}
	return nil
}

// pickEmail is the primary address of a list, else the work one, else the first.
func pickEmail(list []any) string {
	var work, first string
	for _, e := range list {
		m, _ := e.(map[string]any)
		value, _ := m["value"].(string)
		if value == "" {
			continue
		}
		if primary, _ := m["primary"].(bool); primary {
			return value
		}
		if t, _ := m["type"].(string); strings.EqualFold(t, "work") && work == "" {
			work = value
		}
		if first == "" {
			first = value
		}
	}
	if work != "" {
		return work
	}
	return first
}

func (p *userPatch) onto(st *userState) {
	switch {
	case p.email != nil:
		st.email = *p.email
	case p.workEmail != nil:
		st.email = *p.workEmail
	}
	switch {
	case p.displayName != nil:
		st.displayName = *p.displayName
	case p.nameFormatted != nil && *p.nameFormatted != "":
		st.displayName = *p.nameFormatted
	case p.givenName != nil && p.familyName != nil:
		// Both parts in one request; one part alone cannot rebuild a display name.
		if n := strings.TrimSpace(*p.givenName + " " + *p.familyName); n != "" {
			st.displayName = n
		}
	}
	if p.externalID != nil {
		st.externalID = *p.externalID
	}
	if p.managerID != nil {
		st.managerID = *p.managerID
	}
	if p.active != nil {
		st.active = *p.active
	}
}

func emailsAttribute() schema.CoreAttribute {
	for _, a := range schema.CoreUserSchema().Attributes {
		if a.Name() == "emails" {
			return a
		}
	}
	panic("the core User schema has no emails attribute")
}
