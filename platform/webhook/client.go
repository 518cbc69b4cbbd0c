package webhook

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// DefaultTimeout bounds one delivery attempt when Client is given no timeout.
// The specification recommends 15 to 30 seconds: enough for a receiver to
// acknowledge, short enough that a dead endpoint does not hold a worker.
const DefaultTimeout = 15 * time.Second

// RefusedError is the cause of a delivery that Client would not make because
// the policy forbids its URL or the address it was about to connect to. It
// is not a network failure: retrying will not help until the URL or the
// policy changes, so the delivery layer can say so. Find it with errors.As
// (the http.Client wraps it in a *url.Error).
type RefusedError struct {
	// Code is CodeNotHTTPS, CodeInvalidURL or CodePrivateAddress.
	Code string
	// Reason says what was refused, for the subscription's delivery log.
	Reason string
}

func (e *RefusedError) Error() string { return "webhook: delivery refused: " + e.Reason }

// Client returns the http.Client to deliver webhooks with under policy p.
// Make one and reuse it: it pools connections.
//
//   - Every request's URL is checked as CheckURL checks it, so a URL stored
//     under a laxer policy, or never checked, is refused.
//   - Every connection checks the IP address it is about to connect to,
//     after DNS resolution, and refuses one that is not public unless
//     p.AllowPrivate. This is the check that counts: a public name may
//     resolve to 127.0.0.1 or 169.254.169.254, and may change its answer
//     between CheckURL and the delivery (DNS rebinding); the address
//     actually dialled cannot.
//   - Redirects are not followed: the 3xx response itself is returned, and
//     the specification counts it as a failed delivery (the subscription's
//     URL should be updated instead). A redirect could otherwise lead to an
//     address CheckURL never saw.
//   - HTTP(S)_PROXY from the environment is ignored: a proxy would make the
//     connection check see the proxy's address instead of the receiver's.
//
// timeout bounds a whole attempt, response body included (DefaultTimeout
// when timeout <= 0). A refused delivery fails with a *RefusedError inside
// the returned error. Beware that net/http's errors quote the URL, and chat
// tools put their token in it: log a delivery error with the URL redacted.
func (p Policy) Client(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{
		Timeout:   min(timeout, 10*time.Second),
		KeepAlive: 30 * time.Second,
		Control:   p.control,
	}
	base := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    10,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: &guardedTransport{policy: p, base: base},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// control runs on every socket the Client opens, after DNS and before
// connect, with the address about to be dialled ("ip:port").
func (p Policy) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" {
		return &RefusedError{Code: CodeInvalidURL, Reason: fmt.Sprintf("network %s is not TCP", network)}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Code: CodeInvalidURL, Reason: fmt.Sprintf("cannot read the address %q", address)}
	}
	if p.AllowPrivate {
		return nil
	}
	if what := nonPublic(ap.Addr()); what != "" {
		return &RefusedError{Code: CodePrivateAddress,
			Reason: fmt.Sprintf("%s is %s; %s", ap.Addr(), what, publicOnly)}
	}
	return nil
}

// guardedTransport applies the policy's URL check to each request before
// handing it to the connection-checking transport underneath.
type guardedTransport struct {
	policy Policy
	base   *http.Transport
}

// RoundTrip refuses a request whose URL the policy forbids, closing its body
// as the http.RoundTripper contract requires, and sends any other.
func (t *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if code, msg := t.policy.checkParsed(req.URL); code != "" {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, &RefusedError{Code: code, Reason: msg}
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the pool.
func (t *guardedTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }
