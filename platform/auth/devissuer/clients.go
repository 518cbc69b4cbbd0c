package devissuer

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Default token lifetimes; SetTokenTTL changes them.
const (
	defaultAccessTTL  = 15 * time.Minute
	defaultRefreshTTL = 12 * time.Hour
)

// RegisterClient registers a public client (PKCE S256, no secret) that may sign
// users in with the authorization-code flow, and the redirect URIs it may ask
// for. /authorize accepts only these URIs, compared as exact strings.
// Registering a client again adds the URIs to those it has.
//
// The same URIs also bound where /logout may send the browser afterwards: a
// post_logout_redirect_uri is accepted when it has the scheme, host and port of
// one of the client's redirect URIs (of any client's when the logout request
// names none), whatever its path.
//
// RegisterClient panics when clientID is empty, no URI is given, or a URI is
// not an absolute http(s) URL without fragment: that is a programming error at
// start-up, like a bad pattern given to http.ServeMux.
func (i *Issuer) RegisterClient(clientID string, redirectURIs ...string) {
	if clientID == "" {
		panic("devissuer: RegisterClient: empty client id")
	}
	if len(redirectURIs) == 0 {
		panic(fmt.Sprintf("devissuer: RegisterClient(%q): no redirect URI", clientID))
	}
	for _, uri := range redirectURIs {
		if _, err := parseAbsolute(uri); err != nil {
			panic(fmt.Sprintf("devissuer: RegisterClient(%q): redirect URI %q: %v", clientID, uri, err))
		}
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, service := i.services[clientID]; service {
		panic(fmt.Sprintf("devissuer: RegisterClient(%q): already registered as a service client", clientID))
	}
	for _, uri := range redirectURIs {
		if !slices.Contains(i.clients[clientID], uri) {
			i.clients[clientID] = append(i.clients[clientID], uri)
		}
	}
}

// SetTokenTTL sets the lifetime of the tokens the token endpoint issues from
// now on: access (and ID) tokens and refresh tokens; the defaults are 15
// minutes and 12 hours. A non-positive duration gives tokens that are already
// expired, so tests can force expiry.
func (i *Issuer) SetTokenTTL(access, refresh time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.accessTTL, i.refreshTTL = access, refresh
}

// tokenTTL returns the lifetimes in force.
func (i *Issuer) tokenTTL() (access, refresh time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.accessTTL, i.refreshTTL
}

// clientKnown reports whether clientID is registered.
func (i *Issuer) clientKnown(clientID string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	_, ok := i.clients[clientID]
	return ok
}

// redirectRegistered reports whether uri is one of clientID's redirect URIs.
func (i *Issuer) redirectRegistered(clientID, uri string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	return slices.Contains(i.clients[clientID], uri)
}

// postLogoutAllowed reports whether uri has the origin (scheme, host, port) of
// one of clientID's redirect URIs, or of any client's when clientID is empty.
func (i *Issuer) postLogoutAllowed(clientID, uri string) bool {
	u, err := parseAbsolute(uri)
	if err != nil {
		return false
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	for id, uris := range i.clients {
		if clientID != "" && id != clientID {
			continue
		}
		for _, r := range uris {
			if ru, err := url.Parse(r); err == nil && sameOrigin(u, ru) {
				return true
			}
		}
	}
	return false
}

// parseAbsolute parses an absolute http(s) URL without fragment.
func parseAbsolute(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, err
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("scheme must be http or https")
	case u.Host == "":
		return nil, fmt.Errorf("host is missing")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, fmt.Errorf("must not have a fragment")
	}
	return u, nil
}

// sameOrigin compares scheme, host (case-insensitively) and port, the default
// port of the scheme standing for an absent one.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}
