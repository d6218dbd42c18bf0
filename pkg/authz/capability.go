package authz

import "strconv"

// Capability is one row of the permissions matrix. The zero value is not a capability.
type Capability int

// The 16 capabilities, in the order of the matrix in the roles document.
const (
	SubmitRequests Capability = iota + 1
	ApproveRequests
	OnboardUser
	OffboardUser
	EditUser
	ManageUserGroups
	EditApp
	ManageAppAccess
	CreateAccessReviews
	CompleteAccessReviews
	UseBrowserExtension
	IntegrateHRISIdP
	SetUpAutoProvisioning
	CreateCustomPolicies
	CreateCustomLayouts
	CreateAPIKeysAndWebhooks

	numCapabilities = int(CreateAPIKeysAndWebhooks)
)

var capabilityNames = [...]string{
	SubmitRequests:           "SUBMIT_REQUESTS",
	ApproveRequests:          "APPROVE_REQUESTS",
	OnboardUser:              "ONBOARD_USER",
	OffboardUser:             "OFFBOARD_USER",
	EditUser:                 "EDIT_USER",
	ManageUserGroups:         "MANAGE_USER_GROUPS",
	EditApp:                  "EDIT_APP",
	ManageAppAccess:          "MANAGE_APP_ACCESS",
	CreateAccessReviews:      "CREATE_ACCESS_REVIEWS",
	CompleteAccessReviews:    "COMPLETE_ACCESS_REVIEWS",
	UseBrowserExtension:      "USE_BROWSER_EXTENSION",
	IntegrateHRISIdP:         "INTEGRATE_HRIS_IDP",
	SetUpAutoProvisioning:    "SET_UP_AUTO_PROVISIONING",
	CreateCustomPolicies:     "CREATE_CUSTOM_POLICIES",
	CreateCustomLayouts:      "CREATE_CUSTOM_LAYOUTS",
	CreateAPIKeysAndWebhooks: "CREATE_API_KEYS_AND_WEBHOOKS",
}

// AllCapabilities returns the 16 capabilities in the matrix's row order.
func AllCapabilities() []Capability {
	caps := make([]Capability, 0, numCapabilities)
	for c := SubmitRequests; c <= CreateAPIKeysAndWebhooks; c++ {
		caps = append(caps, c)
	}
	return caps
}

// Valid reports whether c is one of the 16 capabilities.
func (c Capability) Valid() bool { return c >= SubmitRequests && c <= CreateAPIKeysAndWebhooks }

// String returns the capability's name as /v1/me lists it, e.g. "SUBMIT_REQUESTS".
func (c Capability) String() string {
	if !c.Valid() {
		return "CAPABILITY(" + strconv.Itoa(int(c)) + ")"
	}
	return capabilityNames[c]
}
