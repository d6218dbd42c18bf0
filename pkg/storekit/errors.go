package storekit

import "errors"

// The errors every service's store answers with. A service's store package names them again
// (store.ErrNotFound = storekit.ErrNotFound): the same values, so errors.Is matches either name,
// in every engine.
var (
	// ErrNotFound is a row that is not stored.
	ErrNotFound = errors.New("not found")
	// ErrConflict is a create whose key is taken, or an update that did not read the stored
	// version (each service's store says which keys and versions).
	ErrConflict = errors.New("conflict")
)
