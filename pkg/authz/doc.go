// Package authz is Grantflow's one authorization module: the permissions matrix of the
// roles document (16 capabilities by User, Manager, App Owner, Admin and General Manager,
// with their qualifiers) and, on top of it, the "who may" rules of the public API, as
// named functions that every service calls instead of writing its own checks.
//
// # Model
//
// A Subject has exactly one designated Role (RoleUser, RoleAdmin, RoleGeneralManager).
// The inherited roles are not stored: they are facts about the resource at hand.
// A subject acts as Manager for a resource when the resource's user reports to it
// (Resource.TargetManagerID == Subject.UserID), and as App Owner when it is one of the
// resource's app owners (Subject.UserID in Resource.AppOwnerIDs). Inherited roles are
// additive: a User who manages people or owns apps keeps every User right and gains the
// Manager or App Owner rights in that context only. Subject.IsManager and
// Subject.OwnedAppIDs are used only to list capabilities (see Capabilities); Check
// decides from the resource's facts alone.
//
// Check(subject, capability, resource) answers one cell of the matrix and returns a
// Decision whose Reason names the rule that allowed or denied, for example
// "admin: any", "manager: only direct reports", "app owner: only own apps" or
// "user: only when assigned in policy". The Can* functions implement the rows of the
// API's "who may" columns and delegate to Check wherever a matrix capability applies.
//
// Everything fails closed: an inactive (offboarded) subject, a subject without a user
// id, an unknown role and an unknown capability are denied everything.
//
// # Capability listing
//
// Capabilities returns what GET /v1/me shows, as strings "NAME" or "NAME:qualifier".
// A capability that no column of the matrix scopes (Onboard User, Use Browser
// Extension, ...) is listed by bare name. A scoped capability is always listed with a
// qualifier, one entry per way the subject holds it: "self" (for the subject itself),
// "assigned" (when a policy assigns the subject), "direct_reports", "own_apps", or
// "any" (which replaces the narrower ones). Entries follow the matrix's row order, and
// within a row the order self, assigned, direct_reports, own_apps.
//
// # Dependencies
//
// The package imports only the standard library. It knows no service, no store, no gRPC
// and no protobuf type: services convert their users, apps, requests and tasks into
// Subject, Resource and the few plain arguments of the Can* functions.
package authz
