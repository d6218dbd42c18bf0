// Package browsertest drives the web console in a real browser (Debian's Chromium, from Go
// with chromedp) against the all-in-one process with its demo organization, as a newcomer
// after make run would: the seeds' Figma flow by clicking, a policy drafted and activated,
// the audit log verified, and a user kept out of the admin pages. It is a package of its
// own so that it runs in parallel with the other packages' tests.
//
// Without Chromium it skips loudly; under CI=true it fails. GRANTFLOW_SCREENSHOTS=DIR saves
// each page's screenshot there (make screenshots writes docs/screenshots).
package browsertest
