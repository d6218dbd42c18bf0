package domain

import "slices"

// PingEventType is the type of the event PingWebhook sends.
const PingEventType = "webhook.ping"

// knownEventTypes are the event types a subscription may name: the audit actions of every
// service (API.md), and the ping. Work items internal to a service (request.work.*) are
// never delivered.
var knownEventTypes = []string{
	"user.onboarded", "user.updated", "user.offboarded", "user.oidc.bound",
	"app.created", "app.updated", "app.archived", "app.connector.set", "app.connector.deleted",
	"group.created", "group.updated", "group.deleted",
	"apikey.created", "apikey.revoked",
	"access.granted", "access.changed", "access.removed",
	"policy.created", "policy.retired",
	"policy.version.created", "policy.version.updated", "policy.version.deleted",
	"policy.version.activated", "policy.version.retired",
	"request.created", "request.step_opened", "request.step_passed", "request.approved",
	"request.declined", "request.cancelled", "request.failed", "request.action_completed",
	"request.done",
	"task.created", "task.approved", "task.declined", "task.completed", "task.auto_approved",
	"task.cancelled", "task.reassigned", "task.due", "task.escalated",
	"access.expiring",
	"accessReview.created", "accessReview.launched", "accessReview.reminder", "accessReview.item.decided", "accessReview.closed",
	"accessReview.item.blocked", "accessReview.item.unblocked", "accessReview.item.request_updated",
	PingEventType,
}

// KnownEventTypes returns the event types subscriptions may name.
func KnownEventTypes() []string { return slices.Clone(knownEventTypes) }

// IsKnownEventType reports whether t is one of KnownEventTypes.
func IsKnownEventType(t string) bool { return slices.Contains(knownEventTypes, t) }

// Delivered reports whether events of type t are fanned out to subscriptions at all: the
// internal work items of a service are not.
func Delivered(t string) bool {
	return t != "" && !hasPrefix(t, "request.work.")
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
