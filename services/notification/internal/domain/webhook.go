package domain

import (
	"crypto/rand"
	"encoding/base64"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/grantflow/grantflow/pkg/errs"
)

// Webhook is a subscription: where to POST which events, signed with Secret.
type Webhook struct {
	ID          string
	URL         string
	EventTypes  []string
	Description string
	Disabled    bool
	// Secret is the raw signing key (the bytes behind "whsec_" + base64).
	Secret     []byte
	CreatedBy  string
	CreateTime time.Time
	UpdateTime time.Time
	// Seq orders subscriptions by creation (list order, page tokens); set by the store.
	Seq int64
}

// SecretPrefix starts every webhook secret as shown to people (Standard Webhooks).
const SecretPrefix = "whsec_"

// secretBytes is the length of a new secret (the specification asks for 24 to 64).
const secretBytes = 32

// NewSecret returns fresh random secret bytes.
func NewSecret() []byte {
	b := make([]byte, secretBytes)
	_, _ = rand.Read(b) // never fails (crypto/rand.Read panics rather than return an error)
	return b
}

// FormatSecret is the secret as shown once to its creator: whsec_ + base64.
func FormatSecret(b []byte) string { return SecretPrefix + base64.StdEncoding.EncodeToString(b) }

// Matches reports whether an event of type eventType goes to w: w is enabled and one of its
// filters matches (no filter: every event).
func (w *Webhook) Matches(eventType string) bool {
	return !w.Disabled && MatchesFilters(w.EventTypes, eventType)
}

// MatchesFilters reports whether eventType matches one of filters: an exact type, or a
// prefix ending in * ("request.*" matches "request.created"; "*" matches everything). No
// filter matches every event.
func MatchesFilters(filters []string, eventType string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if prefix, ok := strings.CutSuffix(f, "*"); ok {
			if strings.HasPrefix(eventType, prefix) {
				return true
			}
		} else if f == eventType {
			return true
		}
	}
	return false
}

// NormalizeEventTypes checks the filters of field (event_types): each an event type of
// KnownEventTypes or a prefix with * that one of them has; duplicates are dropped, order
// kept.
func NormalizeEventTypes(field string, filters []string) ([]string, error) {
	out := make([]string, 0, len(filters))
	for i, f := range filters {
		f = strings.TrimSpace(f)
		name := field + "[" + strconv.Itoa(i) + "]"
		if f == "" {
			return nil, errs.Invalid(name, "empty event type")
		}
		if prefix, ok := strings.CutSuffix(f, "*"); ok {
			if strings.Contains(prefix, "*") {
				return nil, errs.Invalid(name, "* may only end a prefix (request.*)")
			}
			if prefix != "" && !strings.HasSuffix(prefix, ".") {
				return nil, errs.Invalid(name, "a prefix ends with .* (request.*)")
			}
			if !slices.ContainsFunc(KnownEventTypes(), func(t string) bool { return strings.HasPrefix(t, prefix) }) {
				return nil, errs.Invalid(name, "no event type starts with "+prefix)
			}
		} else if !IsKnownEventType(f) {
			return nil, errs.Invalid(name, "unknown event type "+f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// URLPolicy is what a webhook URL may be.
type URLPolicy struct {
	// AllowPrivate lifts the https-only rule and the address rules (development and tests:
	// GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1).
	AllowPrivate bool
}

// ValidateURL checks a webhook URL of field: absolute, https (unless AllowPrivate), a host,
// no user info, and, when the host is an IP address, one that IsPublic. Names are checked
// again on each connection, after DNS (package webhook).
func (p URLPolicy) ValidateURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return errs.Invalid(field, "not an absolute URL")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && p.AllowPrivate:
	default:
		return errs.Invalid(field, "the scheme must be https")
	}
	if u.User != nil {
		return errs.Invalid(field, "user info is not allowed in the URL")
	}
	if u.Fragment != "" {
		return errs.Invalid(field, "a fragment is not allowed in the URL")
	}
	if p.AllowPrivate {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return errs.Invalid(field, "the host may not be a loopback address")
	}
	if ip, err := netip.ParseAddr(host); err == nil && !IsPublic(ip) {
		return errs.Invalid(field, "the host may not be a loopback, private or link-local address")
	}
	return nil
}

// nonPublic are the ranges beyond what netip's predicates name that a webhook may not
// reach: "this network", carrier-grade NAT, benchmarking, the IPv4 reserved block and the
// IPv6 discard, documentation and NAT64-local ranges.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// IsPublic reports whether a webhook may connect to ip: not loopback, private (RFC 1918,
// fc00::/7), link-local (169.254.0.0/16, the cloud metadata address among them, fe80::/10),
// multicast, unspecified or one of the reserved ranges. IPv4-mapped IPv6 addresses are
// judged as the IPv4 address.
func IsPublic(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}
