package errs

import "sync"

var storeClassifiers struct {
	sync.RWMutex
	fns []func(error) bool
}

// RegisterStoreUnavailable adds a classifier that StoreUnavailable consults. A storage
// package registers its own at init (pkg/pgstore does, by SQLSTATE and pgx's error types), so
// that errs itself depends on no database driver.
func RegisterStoreUnavailable(fn func(error) bool) {
	storeClassifiers.Lock()
	defer storeClassifiers.Unlock()
	storeClassifiers.fns = append(storeClassifiers.fns, fn)
}

// StoreUnavailable reports whether err says the database could not be reached or dropped
// the connection (a restart, a failover, a terminated backend, too many connections), as
// opposed to refusing the statement: the call may succeed if tried again, so the caller
// sees UNAVAILABLE, never INTERNAL. It asks the classifiers registered with
// RegisterStoreUnavailable.
func StoreUnavailable(err error) bool {
	if err == nil {
		return false
	}
	storeClassifiers.RLock()
	defer storeClassifiers.RUnlock()
	for _, fn := range storeClassifiers.fns {
		if fn(err) {
			return true
		}
	}
	return false
}
