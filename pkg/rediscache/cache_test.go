package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/grantflow/grantflow/pkg/testenv"
)

func prefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "gf:test:" + hex.EncodeToString(b) + ":"
}

func TestGenerationInvalidation(t *testing.T) {
	rdb, err := Open(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	c := New(rdb, prefix(), nil)
	ctx := context.Background()
	if _, gen, hit := c.Lookup(ctx, "ns", "k"); hit || gen != 0 {
		t.Fatalf("empty cache: hit=%v gen=%d", hit, gen)
	}
	_, gen, _ := c.Lookup(ctx, "ns", "k")
	c.Store(ctx, "ns", "k", gen, []byte("v1"), time.Minute)
	if v, _, hit := c.Lookup(ctx, "ns", "k"); !hit || string(v) != "v1" {
		t.Fatalf("want hit v1, got %q %v", v, hit)
	}
	// A reader that looked up before an invalidation stores under the old generation:
	// never read again.
	_, old, _ := c.Lookup(ctx, "ns", "k2")
	if err := c.Invalidate(ctx, "ns"); err != nil {
		t.Fatal(err)
	}
	c.Store(ctx, "ns", "k2", old, []byte("stale"), time.Minute)
	if _, _, hit := c.Lookup(ctx, "ns", "k"); hit {
		t.Fatal("entry survived invalidation")
	}
	if _, _, hit := c.Lookup(ctx, "ns", "k2"); hit {
		t.Fatal("racing reader's stale entry is served")
	}
	// Other namespaces are untouched.
	_, g2, _ := c.Lookup(ctx, "other", "k")
	c.Store(ctx, "other", "k", g2, []byte("x"), time.Minute)
	_ = c.Invalidate(ctx, "ns")
	if _, _, hit := c.Lookup(ctx, "other", "k"); !hit {
		t.Fatal("invalidating ns dropped another namespace")
	}
}

func TestNilClientAlwaysMisses(t *testing.T) {
	c := New(nil, "x:", nil)
	ctx := context.Background()
	c.Store(ctx, "ns", "k", 0, []byte("v"), time.Minute)
	if _, _, hit := c.Lookup(ctx, "ns", "k"); hit {
		t.Fatal("nil client hit")
	}
	if err := c.Invalidate(ctx, "ns"); err != nil {
		t.Fatal(err)
	}
}

// proxy forwards TCP to Redis and can be cut and restored, to play an outage.
type proxy struct {
	target string
	addr   string
	mu     sync.Mutex
	lis    net.Listener
	conns  []net.Conn
}

func (p *proxy) up(t *testing.T) {
	lis, err := net.Listen("tcp", p.addr)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.lis, p.addr = lis, lis.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			r, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, r)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(r, c); r.Close() }()
			go func() { _, _ = io.Copy(c, r); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lis.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestAnOutageMissesAndNothingStaleSurvivesIt(t *testing.T) {
	u, err := url.Parse(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{target: u.Host, addr: "127.0.0.1:0"}
	p.up(t)
	defer p.down()
	rdb, err := Open("redis://" + p.addr + u.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	c := New(rdb, prefix(), nil)
	c.pause = 0 // retry Redis on every call, so the test needs no waiting
	ctx := context.Background()
	_, gen, _ := c.Lookup(ctx, "ns", "k")
	c.Store(ctx, "ns", "k", gen, []byte("before"), time.Minute)

	p.down()
	if _, _, hit := c.Lookup(ctx, "ns", "k"); hit {
		t.Fatal("hit while Redis is unreachable")
	}
	// The change happens while Redis is unreachable: its invalidation cannot be written.
	_ = c.Invalidate(ctx, "ns")

	p.up(t)
	// The first round trip after the outage must not serve the entry from before it.
	if v, _, hit := c.Lookup(ctx, "ns", "k"); hit {
		t.Fatalf("served %q from before the outage", v)
	}
	if v, _, hit := c.Lookup(ctx, "ns", "k"); hit {
		t.Fatalf("served %q from before the outage on the second lookup", v)
	}
	_, gen, _ = c.Lookup(ctx, "ns", "k")
	c.Store(ctx, "ns", "k", gen, []byte("after"), time.Minute)
	if v, _, hit := c.Lookup(ctx, "ns", "k"); !hit || string(v) != "after" {
		t.Fatalf("cache did not come back: %q %v", v, hit)
	}
}
