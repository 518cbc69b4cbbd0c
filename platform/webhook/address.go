package webhook

import "net/netip"

// special is one range of addresses that a webhook must not reach unless the
// policy allows private addresses, and how to name it in an error message.
type special struct {
	prefix netip.Prefix
	what   string
}

func sp(prefix, what string) special { return special{netip.MustParsePrefix(prefix), what} }

// specialV4 lists the IPv4 ranges that are not public unicast destinations
// (IANA IPv4 Special-Purpose Address Registry, plus multicast and the
// reserved class E). The first match names the address, so narrow entries
// come before the wider ones containing them.
var specialV4 = []special{
	sp("0.0.0.0/32", "the unspecified address, which reaches this server itself"),
	sp("0.0.0.0/8", `a "this network" address`),
	sp("10.0.0.0/8", "a private address (RFC 1918)"),
	sp("100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)"),
	sp("127.0.0.0/8", "a loopback address"),
	sp("169.254.169.254/32", "the cloud metadata address"),
	sp("169.254.0.0/16", "a link-local address"),
	sp("172.16.0.0/12", "a private address (RFC 1918)"),
	sp("192.0.0.0/24", "an IETF protocol assignment address"),
	sp("192.0.2.0/24", "a documentation address"),
	sp("192.88.99.0/24", "a 6to4 relay address"),
	sp("192.168.0.0/16", "a private address (RFC 1918)"),
	sp("198.18.0.0/15", "a benchmarking address"),
	sp("198.51.100.0/24", "a documentation address"),
	sp("203.0.113.0/24", "a documentation address"),
	sp("224.0.0.0/4", "a multicast address"),
	sp("255.255.255.255/32", "the broadcast address"),
	sp("240.0.0.0/4", "a reserved address"),
}

// specialV6 lists the IPv6 ranges that are not public unicast destinations.
// Everything outside 2000::/3 (global unicast) is refused as well, so only
// the special ranges inside it, and the ones worth naming, are listed.
var specialV6 = []special{
	sp("::/128", "the unspecified address, which reaches this server itself"),
	sp("::1/128", "a loopback address"),
	sp("::/96", "an IPv4-compatible address (deprecated)"),
	sp("::ffff:0:0:0/96", "an IPv4-translated address"),
	sp("64:ff9b:1::/48", "a local-use NAT64 address"),
	sp("100::/64", "a discard-only address"),
	sp("2001::/23", "an IETF protocol assignment address (Teredo and others)"),
	sp("2001:db8::/32", "a documentation address"),
	sp("2002::/16", "a 6to4 address, which can tunnel to any IPv4 address"),
	sp("3fff::/20", "a documentation address"),
	sp("fc00::/7", "a unique-local (private) address"),
	sp("fe80::/10", "a link-local address"),
	sp("fec0::/10", "a site-local address (deprecated)"),
	sp("ff00::/8", "a multicast address"),
}

var (
	globalUnicastV6 = netip.MustParsePrefix("2000::/3")
	// The well-known NAT64 prefix (RFC 6052): on an IPv6-only network with
	// DNS64, public IPv4 hosts are reached as 64:ff9b::a.b.c.d, so such an
	// address is judged by the IPv4 address it embeds.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
)

// nonPublic returns why a is not a public unicast address, as a noun phrase
// ("a loopback address"), or "" when it is public. An IPv4-mapped IPv6
// address (::ffff:127.0.0.1) is judged as the IPv4 address it is, since
// connecting to it reaches exactly that address.
func nonPublic(a netip.Addr) string {
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return lookup(specialV4, a)
	}
	if nat64.Contains(a) {
		b := a.As16()
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if what := lookup(specialV4, v4); what != "" {
			return "a NAT64 form of " + what
		}
		return ""
	}
	if what := lookup(specialV6, a); what != "" {
		return what
	}
	if !globalUnicastV6.Contains(a) {
		return "a reserved address (not IPv6 global unicast)"
	}
	return ""
}

func lookup(list []special, a netip.Addr) string {
	for _, s := range list {
		if s.prefix.Contains(a) {
			return s.what
		}
	}
	return ""
}
