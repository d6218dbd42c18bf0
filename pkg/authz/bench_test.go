package authz

import "testing"

// BenchmarkCheck measures one decision, cycling through the five columns, every
// capability and every scenario of the test organization.
func BenchmarkCheck(b *testing.B) {
	type call struct {
		s Subject
		c Capability
		r Resource
	}
	var calls []call
	for _, col := range matrixColumns {
		for _, c := range AllCapabilities() {
			for _, sc := range allScenarios {
				calls = append(calls, call{col.subject, c, sc.of(col.subject.UserID)})
			}
		}
	}
	b.ReportAllocs()
	allowed := 0
	i := 0
	for b.Loop() {
		cl := &calls[i%len(calls)]
		if Check(cl.s, cl.c, cl.r).Allowed {
			allowed++
		}
		i++
	}
	_ = allowed
}

// BenchmarkCapabilities measures the /v1/me listing of a manager who owns an app.
func BenchmarkCapabilities(b *testing.B) {
	s := Subject{UserID: mia, Role: RoleUser, Active: true, IsManager: true, OwnedAppIDs: []string{crm}}
	b.ReportAllocs()
	for b.Loop() {
		_ = Capabilities(s)
	}
}
