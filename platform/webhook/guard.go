package webhook

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
)

// publicOnly ends every refusal of a non-public address.
const publicOnly = "webhooks may only go to public addresses unless an administrator allows private ones"

// maxURLLen bounds a webhook URL; real ones (Slack, Teams, Zapier) are far
// shorter, and a stored URL is echoed back in the console.
const maxURLLen = 2048

// Policy says where webhooks may go. Its zero value is the production
// setting: https only, public addresses only. Both fields are administrator
// settings, never a subscriber's.
type Policy struct {
	// AllowPrivate lets webhooks reach addresses that are not public:
	// loopback, private networks, link-local, carrier-grade NAT and the other
	// special-purpose ranges. On for development, and for installs whose chat
	// server sits on the office network; it also opens the cloud metadata
	// address (169.254.169.254), so never on a shared cloud host.
	AllowPrivate bool
	// AllowHTTP lets webhooks use plain http. Off in production: the body and
	// its signature would cross the network in clear text.
	AllowHTTP bool
}

// CheckURL checks a webhook URL before it is stored, so an administrator
// learns at once what is wrong with it. It must be an absolute https URL
// (http only with AllowHTTP) with a host, no user name or password, no
// fragment and, if given, a port from 1 to 65535. A host that is an IP
// literal, or the name localhost, must be a public address unless
// AllowPrivate. A host name that is not an IP literal passes: what it
// resolves to is checked by Client on every connection, because DNS can
// change between now and then.
//
// The error is a 422 apperr validation error on field "url" whose code is
// CodeInvalidURL, CodeNotHTTPS or CodePrivateAddress, with a message saying
// what to fix.
func (p Policy) CheckURL(raw string) error {
	code, msg := p.checkRawURL(raw)
	if code == "" {
		return nil
	}
	var v apperr.Validation
	v.Add(FieldURL, code, msg)
	return v.Err()
}

func (p Policy) checkRawURL(raw string) (code, msg string) {
	switch {
	case raw == "":
		return CodeInvalidURL, "the URL is empty"
	case len(raw) > maxURLLen:
		return CodeInvalidURL, fmt.Sprintf("the URL is longer than %d characters", maxURLLen)
	case strings.TrimSpace(raw) != raw:
		return CodeInvalidURL, "the URL starts or ends with white space"
	case strings.Contains(raw, "#"):
		// Checked on the raw string: url.Parse drops an empty "#".
		return CodeInvalidURL, "the URL has a fragment (#…); fragments are never sent to the server"
	}
	u, err := url.Parse(raw)
	if err != nil {
		return CodeInvalidURL, "the URL cannot be parsed"
	}
	return p.checkParsed(u)
}

// checkParsed is CheckURL on a parsed URL; Client applies it to every
// request too, so a URL stored under a laxer policy cannot slip through.
func (p Policy) checkParsed(u *url.URL) (code, msg string) {
	switch {
	case u.Scheme == "":
		return CodeInvalidURL, "the URL must be absolute, starting with https://"
	case u.Scheme == "http" && !p.AllowHTTP:
		return CodeNotHTTPS, "the URL must use https; plain http is turned off by the administrator"
	case u.Scheme != "https" && u.Scheme != "http":
		return CodeInvalidURL, fmt.Sprintf("the URL scheme %q is not supported; use https", u.Scheme)
	case u.Opaque != "" || u.Host == "":
		return CodeInvalidURL, "the URL has no host"
	case u.User != nil:
		return CodeInvalidURL, "the URL must not contain a user name or password; use the subscription's secret to authenticate"
	case strings.HasSuffix(u.Host, ":"):
		return CodeInvalidURL, "the URL has an empty port"
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return CodeInvalidURL, fmt.Sprintf("the port %s is not between 1 and 65535", port)
		}
	}
	return p.checkHost(u.Hostname())
}

// checkHost checks the host part: an IP literal is checked as an address; a
// name must be a plausible DNS name.
func (p Policy) checkHost(host string) (code, msg string) {
	if addr, err := netip.ParseAddr(host); err == nil {
		if what := nonPublic(addr); what != "" && !p.AllowPrivate {
			return CodePrivateAddress, fmt.Sprintf(
				"%s is %s; %s", host, what, publicOnly)
		}
		return "", ""
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if msg := checkHostName(name); msg != "" {
		return CodeInvalidURL, msg
	}
	// RFC 6761: localhost and its subdomains always mean this machine.
	if (name == "localhost" || strings.HasSuffix(name, ".localhost")) && !p.AllowPrivate {
		return CodePrivateAddress, fmt.Sprintf(
			"%s is this server itself; %s", host, publicOnly)
	}
	return "", ""
}

// checkHostName returns why name is not an acceptable DNS name, or "".
// Names are ASCII (an internationalised name is written in its xn-- form),
// labels of letters, digits, hyphens and underscores. A name whose last
// label is a number is refused: browsers and some resolvers read
// "2130706433", "0x7f.1" or "127.1" as IPv4 addresses (here, 127.0.0.1), a
// classic way to slip a private address past a check.
func checkHostName(name string) string {
	if name == "" || len(name) > 253 {
		return "the URL's host is not a valid host name"
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "the URL's host is not a valid host name"
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return "the URL's host may only contain letters, digits, hyphens and dots (write an international name in its xn-- form)"
			}
		}
	}
	if last := labels[len(labels)-1]; isNumeric(last) {
		return "the URL's host looks like an IP address in an unusual notation; write the address in dotted form or use a name"
	}
	return ""
}

// isNumeric reports whether a label is a decimal, octal or hex number, as
// the WHATWG URL standard's IPv4 parser would take it.
func isNumeric(l string) bool {
	digits := l
	if strings.HasPrefix(l, "0x") {
		digits = l[2:]
		if digits == "" {
			return true
		}
		for i := 0; i < len(digits); i++ {
			if c := digits[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return false
		}
	}
	return true
}
