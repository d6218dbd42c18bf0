package rediscache

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Open connects to the Redis at url (redis://host:port/db) with short timeouts suited to
// a cache. It does not fail when Redis is down: the cache then misses until it is back.
func Open(url string) (*redis.Client, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	opt.DialTimeout = 200 * time.Millisecond
	opt.ReadTimeout = 200 * time.Millisecond
	opt.WriteTimeout = 200 * time.Millisecond
	opt.MaxRetries = 0
	// go-redis retries a failed dial 5 times, 100 ms apart, by default: a cache must
	// rather miss at once.
	opt.DialerRetries = 1
	opt.DialerRetryTimeout = time.Millisecond
	return redis.NewClient(opt), nil
}

// Cache is a generation-invalidated cache over Redis.
type Cache struct {
	rdb       redis.UniversalClient
	prefix    string
	log       *slog.Logger
	pause     time.Duration
	downUntil atomic.Int64 // unix nanos; 0 when healthy
	// missed is set when an invalidation could not be written; the next successful
	// round trip then invalidates every namespace seen, so nothing cached before an outage
	// is served after it.
	missed     atomic.Bool
	namespaces sync.Map
	// macKey, when set, authenticates every entry: whoever can write Redis but does not
	// hold the key cannot plant or move an entry (an Admin's principal under their own
	// credential, an entry from before an invalidation, one past its expiry).
	macKey []byte
}

// WithMAC makes c sign every entry it stores with HMAC-SHA256 under key, over the
// namespace, key, generation, expiry and value, and treat an entry whose MAC does not
// verify as a miss. Every process of a deployment caching into the same prefix must use
// the same key (pkg/process derives it from the internal secret).
func (c *Cache) WithMAC(key []byte) *Cache {
	c.macKey = slices.Clone(key)
	return c
}

// macSize is the MAC's length; an entry is MAC, then the expiry (8 bytes of Unix
// seconds, big-endian), then the value.
const macSize = sha256.Size

func (c *Cache) mac(ns, key string, gen int64, rest []byte) []byte {
	m := hmac.New(sha256.New, c.macKey)
	for _, part := range []string{c.prefix, ns, key, strconv.FormatInt(gen, 10)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	m.Write(rest)
	return m.Sum(nil)
}

// seal returns what is stored for val.
func (c *Cache) seal(ns, key string, gen int64, val []byte, ttl time.Duration) []byte {
	if c.macKey == nil {
		return val
	}
	rest := binary.BigEndian.AppendUint64(nil, uint64(time.Now().Add(ttl).Unix()+1))
	rest = append(rest, val...)
	return append(c.mac(ns, key, gen, rest), rest...)
}

// open returns the value of a stored entry, or false when it is forged, moved or expired.
func (c *Cache) open(ns, key string, gen int64, raw []byte) ([]byte, bool) {
	if c.macKey == nil {
		return raw, true
	}
	if len(raw) < macSize+8 {
		return nil, false
	}
	sum, rest := raw[:macSize], raw[macSize:]
	if !hmac.Equal(sum, c.mac(ns, key, gen, rest)) {
		return nil, false
	}
	if int64(binary.BigEndian.Uint64(rest[:8])) < time.Now().Unix() {
		return nil, false
	}
	return rest[8:], true
}

// New returns a cache whose keys start with prefix (for example "gf:identity:").
// rdb may be nil: every lookup then misses.
func New(rdb redis.UniversalClient, prefix string, log *slog.Logger) *Cache {
	if log == nil {
		log = slog.Default()
	}
	return &Cache{rdb: rdb, prefix: prefix, log: log, pause: time.Second}
}

// lookup returns {generation, value-or-false} in one round trip.
var lookup = redis.NewScript(`
local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('GET', ARGV[1] .. g .. ':' .. ARGV[2])}
`)

// Lookup returns the value cached for key in namespace ns, and the namespace's current
// generation to pass to Store after a miss.
func (c *Cache) Lookup(ctx context.Context, ns, key string) (val []byte, gen int64, hit bool) {
	if !c.usable() {
		return nil, -1, false
	}
	c.namespaces.Store(ns, true)
	res, err := lookup.Run(ctx, c.rdb, []string{c.genKey(ns)}, c.prefix+ns+":", key).Slice()
	if err != nil {
		c.failed(ctx, err)
		return nil, -1, false
	}
	if c.recovered(ctx) {
		// Generations were just bumped: what this round trip read may predate an outage.
		return nil, -1, false
	}
	gen, _ = strconv.ParseInt(toString(res[0]), 10, 64)
	if s, ok := res[1].(string); ok {
		if v, ok := c.open(ns, key, gen, []byte(s)); ok {
			return v, gen, true
		}
		c.log.WarnContext(ctx, "redis cache: an entry failed its MAC check (forged, moved or expired); ignored", "namespace", ns)
	}
	return nil, gen, false
}

// Store caches val for key under generation gen (from Lookup) for ttl. A negative gen
// (Redis was unusable at lookup) stores nothing.
func (c *Cache) Store(ctx context.Context, ns, key string, gen int64, val []byte, ttl time.Duration) {
	if gen < 0 || !c.usable() {
		return
	}
	k := c.prefix + ns + ":" + strconv.FormatInt(gen, 10) + ":" + key
	if err := c.rdb.Set(ctx, k, c.seal(ns, key, gen, val, ttl), ttl).Err(); err != nil {
		c.failed(ctx, err)
	}
}

// Invalidate makes every entry of namespace ns stale. Call it after the change committed.
func (c *Cache) Invalidate(ctx context.Context, ns string) error {
	if c.rdb == nil {
		return nil
	}
	c.namespaces.Store(ns, true)
	if !c.usable() {
		c.missed.Store(true)
		return nil
	}
	if err := c.rdb.Incr(ctx, c.genKey(ns)).Err(); err != nil {
		c.missed.Store(true)
		c.failed(ctx, err)
		return err
	}
	return nil
}

// Ping reports whether Redis answers (for readiness).
func (c *Cache) Ping(ctx context.Context) error {
	if c.rdb == nil {
		return errors.New("redis not configured")
	}
	return c.rdb.Ping(ctx).Err()
}

func (c *Cache) genKey(ns string) string { return c.prefix + ns + ":gen" }

func (c *Cache) usable() bool {
	if c.rdb == nil {
		return false
	}
	until := c.downUntil.Load()
	return until == 0 || time.Now().UnixNano() > until
}

func (c *Cache) failed(ctx context.Context, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	if c.downUntil.Swap(time.Now().Add(c.pause).UnixNano()) == 0 {
		c.log.WarnContext(ctx, "redis cache unavailable; reading the source of truth", "error", err.Error())
	}
}

// recovered notes a successful round trip; it reports whether it had to invalidate every
// namespace because an invalidation was missed while Redis was unreachable.
func (c *Cache) recovered(ctx context.Context) bool {
	if c.downUntil.Load() != 0 && c.downUntil.Swap(0) != 0 {
		c.log.InfoContext(ctx, "redis cache available again")
	}
	if !c.missed.Swap(false) {
		return false
	}
	c.namespaces.Range(func(ns, _ any) bool {
		if err := c.rdb.Incr(ctx, c.genKey(ns.(string))).Err(); err != nil {
			c.missed.Store(true)
			return false
		}
		return true
	})
	return true
}

func toString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return "0"
}
