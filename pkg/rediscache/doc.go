// Package rediscache is the Redis cache every Grantflow service puts in front of hot
// lookups. Redis is optional: a nil client, a Redis that is down or slow, all mean a
// miss, and the caller reads its source of truth. After a Redis error the cache stays out
// of the way for a short while instead of paying a timeout on every call.
//
// Invalidation is by generation: each namespace has a counter; entries are stored under
// the generation read before the source was read; Invalidate increments the counter, so
// every older entry, including one written by a reader that raced the change, is never
// read again (and expires by its TTL).
//
// rediscache knows no service.
package rediscache
