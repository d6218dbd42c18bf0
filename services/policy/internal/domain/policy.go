package domain

import (
	"slices"
	"time"
)

// RequestType is the kind of change a request asks for; a policy is tied to one.
type RequestType string

const (
	AddApp           RequestType = "ADD_APP"
	GrantAccess      RequestType = "GRANT_ACCESS"
	ChangePermission RequestType = "CHANGE_PERMISSION"
	RemoveAccess     RequestType = "REMOVE_ACCESS"
	ArchiveApp       RequestType = "ARCHIVE_APP"
)

// RequestTypes lists every request type, in the API's order.
var RequestTypes = []RequestType{AddApp, GrantAccess, ChangePermission, RemoveAccess, ArchiveApp}

// Valid reports whether t is one of RequestTypes.
func (t RequestType) Valid() bool { return slices.Contains(RequestTypes, t) }

// Level is how specific a policy's scope is; resolution prefers the most specific.
type Level string

const (
	LevelSystemDefault Level = "SYSTEM_DEFAULT"
	LevelGlobal        Level = "GLOBAL"
	LevelApp           Level = "APP"
	LevelPermission    Level = "PERMISSION"
)

// Scope says where a policy applies: {} everywhere, {AppID} one app, {AppID, Permissions}
// some permission levels of one app.
type Scope struct {
	AppID       string   `json:"appId,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
}

// Level derives the level of an administrator's policy from its scope. The system
// defaults are the only SYSTEM_DEFAULT policies; their scope is {} too.
func (s Scope) Level() Level {
	switch {
	case len(s.Permissions) > 0:
		return LevelPermission
	case s.AppID != "":
		return LevelApp
	}
	return LevelGlobal
}

// Overlaps reports whether two scopes of the same level could both match one request:
// the ambiguity an administrator must not create. Two global scopes always overlap; two
// app scopes when they name the same app; two permission scopes when they name the same
// app and share a permission.
func (s Scope) Overlaps(o Scope) bool {
	if s.Level() != o.Level() || s.AppID != o.AppID {
		return false
	}
	if s.Level() != LevelPermission {
		return true
	}
	return len(Shared(s.Permissions, o.Permissions)) > 0
}

// Shared returns the permissions in both a and b, in a's order.
func Shared(a, b []string) []string {
	var out []string
	for _, p := range a {
		if slices.Contains(b, p) {
			out = append(out, p)
		}
	}
	return out
}

// Policy is a named workflow choice for one request type and scope. Its workflows live in
// its versions; at most one version is active.
type Policy struct {
	ID          string
	Name        string
	RequestType RequestType
	Scope       Scope
	Level       Level
	// ActiveVersion is 0 while no version is active.
	ActiveVersion int64
	// LatestVersion is the highest version number given so far. Numbers of deleted drafts
	// are never given again, so audit events keep naming one version each.
	LatestVersion int64
	CreateTime    time.Time
	UpdateTime    time.Time
	CreateBy      string
}

// State is a version's place in its life: DRAFT -> ACTIVE -> RETIRED.
type State string

const (
	StateDraft   State = "DRAFT"
	StateActive  State = "ACTIVE"
	StateRetired State = "RETIRED"
)

// Version is one version of a policy's workflow. Only a draft changes; an active or
// retired version is immutable, so requests keep pointing at exactly what they followed.
type Version struct {
	PolicyID     string
	Version      int64
	State        State
	Workflow     Workflow
	CreateTime   time.Time
	UpdateTime   time.Time
	ActivateTime time.Time // zero until activated
	RetireTime   time.Time // zero until retired
	CreateBy     string
	// Revision counts the edits of a draft (1 at creation); it is the etag.
	Revision int64
}

// Editable reports whether the version may still change or be deleted.
func (v Version) Editable() bool { return v.State == StateDraft }

// Active is a policy together with its active version: one entry of the resolution index.
type Active struct {
	Policy  Policy
	Version Version
}
