package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

// DefaultTolerance is how far a webhook-timestamp may be from the receiver's
// clock when Verify is given no tolerance: five minutes, the reference
// libraries' value. Wide enough for clock drift and a slow network, narrow
// enough that a captured delivery cannot be replayed later.
const DefaultTolerance = 5 * time.Minute

// maxMessageIDLen bounds webhook-id; real ids are a few dozen bytes.
const maxMessageIDLen = 256

// Errors of Sign and Headers. Both mean a bug in the caller, not bad input
// from a client, so they are plain errors (an internal error to httpx).
var (
	// ErrNoSecret: no secret was given, or one of them is the zero Secret.
	// An empty HMAC key would make signatures anyone can forge.
	ErrNoSecret = errors.New("webhook: no signing secret")
	// ErrInvalidMessageID: the id is empty, too long, or has a character
	// other than printable ASCII, or a full stop. The id is the first part
	// of the signed "id.timestamp.body"; a full stop in it would let one
	// (id, timestamp) pair pass for another, which the specification forbids.
	ErrInvalidMessageID = errors.New("webhook: invalid message id")
)

// Errors of Verify, as apperr values so that an endpoint receiving webhooks
// can hand them to httpx.WriteError unchanged, and so that errors.Is matches
// them even when their message carries details.
var (
	// ErrMissingHeaders: webhook-id, webhook-timestamp or webhook-signature
	// is absent. 400.
	ErrMissingHeaders = apperr.Invalid("webhook_headers_missing",
		"the webhook-id, webhook-timestamp and webhook-signature headers are required")
	// ErrInvalidTimestamp: webhook-timestamp is not whole unix seconds. 400.
	ErrInvalidTimestamp = apperr.Invalid("webhook_timestamp_invalid",
		"webhook-timestamp must be whole seconds since the unix epoch")
	// ErrTimestampTooOld: the delivery is older than the tolerance; it may
	// be a replay. 401.
	ErrTimestampTooOld = apperr.Unauthenticated("webhook_timestamp_too_old",
		"webhook-timestamp is too far in the past")
	// ErrTimestampTooNew: the delivery claims to come from the future beyond
	// the tolerance (a skewed clock, or a message forged for later). 401.
	ErrTimestampTooNew = apperr.Unauthenticated("webhook_timestamp_too_new",
		"webhook-timestamp is too far in the future")
	// ErrNoMatchingSignature: no v1 signature in webhook-signature matches
	// any of the secrets. 401.
	ErrNoMatchingSignature = apperr.Unauthenticated("webhook_signature_mismatch",
		"no signature in webhook-signature matches the subscription's secret")
)

// Sign returns the webhook-signature header value for one delivery: a "v1,"
// signature per secret, in the order given, separated by spaces. Pass the
// current secret, and while a secret is being rotated the previous one too:
// a receiver that still holds the old secret, or already the new one, finds
// a signature it can check.
//
// msgID must stay the same on every retry of an event (receivers use it to
// drop duplicates) and must not contain a full stop (ErrInvalidMessageID).
// ts is the time of this attempt, sent in whole seconds; body must be the
// exact bytes sent, since a single re-encoded space breaks the signature.
func Sign(msgID string, ts time.Time, body []byte, secrets ...Secret) (string, error) {
	if err := checkSigning(msgID, secrets); err != nil {
		return "", err
	}
	unix := strconv.FormatInt(ts.Unix(), 10)
	var b strings.Builder
	for i, s := range secrets {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac(s, msgID, unix, body)))
	}
	return b.String(), nil
}

// Headers returns the three headers of a delivery — webhook-id,
// webhook-timestamp (unix seconds) and webhook-signature as Sign makes it —
// ready to be copied onto the outgoing request. The timestamp header and the
// signed timestamp are the same string by construction.
func Headers(msgID string, ts time.Time, body []byte, secrets ...Secret) (http.Header, error) {
	sig, err := Sign(msgID, ts, body, secrets...)
	if err != nil {
		return nil, err
	}
	h := make(http.Header, 3)
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, sig)
	return h, nil
}

// Verify checks a received delivery: its headers h and its raw body, as
// received and before any JSON decoding. It succeeds when webhook-timestamp
// is within tolerance of now (DefaultTolerance when tolerance <= 0) on either
// side, and at least one "v1," signature in webhook-signature is the
// HMAC-SHA256 of "id.timestamp.body" under at least one of the secrets;
// other entries (v1a, future versions, stale secrets) are skipped, as the
// specification's rotation scheme requires. Signatures are compared in
// constant time, so response timing reveals nothing about the right one.
//
// The errors are the Err* values of this package (errors.Is matches them);
// ErrNoSecret when no usable secret is given.
func Verify(h http.Header, body []byte, now time.Time, tolerance time.Duration, secrets ...Secret) error {
	if err := checkSecrets(secrets); err != nil {
		return err
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	msgID, unix := h.Get(HeaderID), h.Get(HeaderTimestamp)
	sigHeader := strings.Join(h.Values(HeaderSignature), " ")
	if msgID == "" || unix == "" || strings.TrimSpace(sigHeader) == "" {
		return ErrMissingHeaders
	}
	sent, err := parseUnix(unix)
	if err != nil {
		return err
	}
	switch {
	case sent.Before(now.Add(-tolerance)):
		return ErrTimestampTooOld.Withf("webhook-timestamp is %s in the past; at most %s is accepted",
			now.Sub(sent).Truncate(time.Second), tolerance)
	case sent.After(now.Add(tolerance)):
		return ErrTimestampTooNew.Withf("webhook-timestamp is %s in the future; at most %s is accepted",
			sent.Sub(now).Truncate(time.Second), tolerance)
	}

	expected := make([][]byte, len(secrets))
	for i, s := range secrets {
		expected[i] = mac(s, msgID, unix, body)
	}
	for _, entry := range strings.Fields(sigHeader) {
		version, encoded, ok := strings.Cut(entry, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(got) != sha256.Size {
			continue
		}
		for _, want := range expected {
			if hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrNoMatchingSignature
}

// parseUnix reads webhook-timestamp strictly: decimal digits only, so that
// "+1614265330", " 1614265330" or "1614265330.0" — each of which would be
// signed as a different string — are refused rather than half-accepted.
func parseUnix(s string) (time.Time, error) {
	if len(s) > 19 {
		return time.Time{}, ErrInvalidTimestamp
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, ErrInvalidTimestamp
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, ErrInvalidTimestamp
	}
	return time.Unix(n, 0), nil
}

// mac is the specification's symmetric signature: HMAC-SHA256, keyed with
// the secret's raw bytes, of msgID "." unix "." body.
func mac(s Secret, msgID, unix string, body []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	writeString(m, msgID)
	writeString(m, ".")
	writeString(m, unix)
	writeString(m, ".")
	m.Write(body)
	return m.Sum(nil)
}

// writeString feeds s to h; a hash.Hash never returns a write error.
func writeString(h hash.Hash, s string) { _, _ = h.Write([]byte(s)) }

func checkSigning(msgID string, secrets []Secret) error {
	if err := checkSecrets(secrets); err != nil {
		return err
	}
	if msgID == "" || len(msgID) > maxMessageIDLen {
		return fmt.Errorf("%w: it must be 1 to %d characters", ErrInvalidMessageID, maxMessageIDLen)
	}
	for i := 0; i < len(msgID); i++ {
		if c := msgID[i]; c <= ' ' || c > '~' || c == '.' {
			return fmt.Errorf("%w: %q has a character other than printable ASCII or a full stop", ErrInvalidMessageID, msgID)
		}
	}
	return nil
}

func checkSecrets(secrets []Secret) error {
	if len(secrets) == 0 {
		return ErrNoSecret
	}
	for i, s := range secrets {
		if s.IsZero() {
			return fmt.Errorf("%w: secret %d of %d is the zero Secret", ErrNoSecret, i+1, len(secrets))
		}
	}
	return nil
}
