// Package webhook is Closeloop's outbound-webhook plumbing: it signs each
// delivery the way the Standard Webhooks specification (version 1.0.0,
// https://www.standardwebhooks.com) says, and it makes sure a delivery can
// only ever reach an address an administrator is allowed to send to.
//
// # Signed, so a receiver can trust it
//
// Every subscription has its own secret (Secret, written "whsec_<base64>").
// A delivery carries three headers: webhook-id (stable across retries, so the
// receiver can drop duplicates), webhook-timestamp (unix seconds of this
// attempt, so the receiver can refuse replays) and webhook-signature, one or
// more space-separated "v1,<base64 HMAC-SHA256 of id.timestamp.body>". More
// than one signature is sent while a secret is being rotated, so receivers
// keep working whichever secret they hold (Sign, Headers). Verify is the
// receiving side: tests use it, and so can any Closeloop endpoint that
// accepts Standard Webhooks. The signing is checked against the vectors the
// specification's reference libraries publish.
//
// # Only where it may go, checked when connecting
//
// A webhook URL is typed by a person, so it is an invitation to make the
// server call into its own network (server-side request forgery): the cloud
// metadata endpoint, a database's HTTP port, an admin console on localhost.
// Policy.CheckURL refuses such a URL when it is registered (a clear 422 on
// field "url"). That alone is not enough: a public name can resolve to a
// private address, today or only after it was checked (DNS rebinding). So
// Policy.Client's connections check the address they are about to connect
// to, after DNS, and refuse it there; it follows no redirects and ignores
// proxy settings from the environment, so neither can lead it elsewhere.
// Private addresses and plain http are allowed only when an administrator
// turns them on (Policy.AllowPrivate, Policy.AllowHTTP), for development and
// installs whose chat server lives on the office network.
package webhook

// The header names of the specification. net/http writes them in canonical
// form (Webhook-Id); header names are case-insensitive, and HTTP/2 sends them
// in lower case anyway.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Field names used in the field errors of ParseSecret and Policy.CheckURL, so
// that an API accepting a subscription reports them where the client sent them.
const (
	FieldURL    = "url"
	FieldSecret = "secret"
)

// Codes of the field errors, stable so that clients may switch on them.
const (
	// CodeInvalidURL: not an absolute URL with a host, or one with
	// credentials, a fragment, a bad port or a host that is not a valid name.
	CodeInvalidURL = "invalid_url"
	// CodeNotHTTPS: a plain http URL where only https is allowed.
	CodeNotHTTPS = "not_https"
	// CodePrivateAddress: the host is (or names) an address that is not
	// public: loopback, private, link-local, reserved and the like.
	CodePrivateAddress = "private_address"
	// CodeInvalidSecret: the secret is empty, not base64, or of another kind.
	CodeInvalidSecret = "invalid_secret"
	// CodeSecretTooShort: fewer than MinSecretBytes of key material.
	CodeSecretTooShort = "secret_too_short"
	// CodeSecretTooLong: more than MaxSecretBytes of key material.
	CodeSecretTooLong = "secret_too_long"
)
