// Package lifecycle runs a process's shutdown in reverse order of start: every part that
// starts registers how to stop, and Shutdown calls them last-in first-out under one
// timeout, collecting every error.
package lifecycle
