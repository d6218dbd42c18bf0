package stdwebhook

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/grantflow/grantflow/pkg/errs"
)

// URLPolicy is what an outgoing webhook URL may be.
type URLPolicy struct {
	// AllowPrivate lifts the https-only rule and the address rules (development and tests:
	// GRANTFLOW_WEBHOOK_ALLOW_PRIVATE=1).
	AllowPrivate bool
}

// ValidateURL checks a URL given in field: absolute, https (unless AllowPrivate), a host,
// no user info, no fragment, and, when the host is an IP address or localhost, one that
// IsPublic. Names are checked again on each connection, after DNS (NewHTTPClient).
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

// Redact is a URL fit for logs, task history and audit: scheme, host and path only (no
// user info, query or fragment, which may carry credentials).
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(an unparseable URL)"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
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
