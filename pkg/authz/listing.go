package authz

// Capabilities lists what the subject holds at all, as GET /v1/me shows it: "NAME" for a
// capability the matrix never scopes, "NAME:qualifier" for a scoped one, with the
// qualifiers self, assigned, direct_reports, own_apps and any (see the package
// documentation). The Manager entries appear when s.IsManager, the App Owner entries
// when s.OwnedAppIDs is not empty. The order is stable: matrix rows in order, and within
// a row self, assigned, direct_reports, own_apps. An inactive or invalid subject holds
// nothing (an empty, non-nil list).
func Capabilities(s Subject) []string {
	out := make([]string, 0, numCapabilities)
	if _, ok := precheck(s); !ok {
		return out
	}
	for c := SubmitRequests; c <= CreateAPIKeysAndWebhooks; c++ {
		rw := matrix[c]
		var held [all + 1]bool
		held[rw[designatedColumn(s.Role)]] = true
		if s.IsManager {
			held[rw[colManager]] = true
		}
		if len(s.OwnedAppIDs) > 0 {
			held[rw[colAppOwner]] = true
		}
		if held[all] {
			out = append(out, entries[c][all])
			continue
		}
		for sc := self; sc < all; sc++ {
			if held[sc] {
				out = append(out, entries[c][sc])
			}
		}
	}
	return out
}

// entries[c][scope] is the listed form of a capability held in a scope, built once.
var entries = func() (e [numCapabilities + 1][all + 1]string) {
	for c := SubmitRequests; c <= CreateAPIKeysAndWebhooks; c++ {
		for sc := self; sc <= all; sc++ {
			e[c][sc] = c.String() + ":" + qualifier[sc]
		}
		if !matrix[c].scoped() {
			e[c][all] = c.String()
		}
	}
	return e
}()
