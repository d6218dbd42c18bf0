package authz

// The Policy and Audit rows of the API.

// CanManagePolicies implements the Policy rows "Create policy", "New draft version",
// "Edit a draft" and "Activate" — Admin, GM (matrix: Create Custom Policies). Reading
// and resolving policies is open to anyone authenticated and needs no check.
func CanManagePolicies(s Subject) Decision {
	return Check(s, CreateCustomPolicies, Resource{})
}

// CanReadAuditAll implements the Audit rows "Query" (all events), "Verify" and "Export" —
// Admin, GM. Other callers may query only the events of requests they may see:
// CanViewRequest.
func CanReadAuditAll(s Subject) Decision {
	return adminsOnly(s)
}
