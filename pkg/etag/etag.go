// Package etag is the one etag of every resource: its version (or revision), quoted, and the
// check of an etag a client sends back with a change (ABORTED / 409 when stale).
package etag

import (
	"strconv"

	"github.com/grantflow/grantflow/pkg/errs"
)

// Of is the etag of a resource at version.
func Of(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// Check refuses a change made against a stale etag: ABORTED with reason STALE_ETAG, saying
// that what changed (e.g. "the user") should be read again. An empty etag is not checked.
func Check(given string, version int64, what string) error {
	if given != "" && given != Of(version) {
		return errs.Aborted("STALE_ETAG", what+" changed since it was read (etag "+given+", now "+Of(version)+"); read it again")
	}
	return nil
}
