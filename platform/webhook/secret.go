package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"

	"github.com/closeloop/closeloop/platform/apperr"
)

// SecretPrefix marks a symmetric signing secret, so that people (and secret
// scanners) can tell what a pasted string is.
const SecretPrefix = "whsec_"

// The specification asks for between 24 bytes (192 bits) and 64 bytes (512
// bits) of random key material. Fewer bytes are guessable sooner; more than
// 64 only get hashed down by HMAC-SHA256 and buy nothing.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
	// NewSecret's length: 256 bits, the strength of SHA-256 itself.
	generatedSecretBytes = 32
)

// Secret is one subscription's HMAC-SHA256 signing key. Its zero value holds
// no key and signs nothing. It prints as "whsec_[redacted]" (fmt, slog), so a
// secret that strays into a log line or an error does not leak; Reveal gives
// the full string for the one place that must show or store it.
type Secret struct {
	key []byte
}

// ParseSecret reads a secret as an administrator pastes it: "whsec_" followed
// by standard base64 (with padding) of the key, or the base64 alone — the
// specification's reference libraries accept both, and receivers built on
// them hand out either. Surrounding whitespace, which copying easily adds, is
// ignored. Anything else is a 422 field error on "secret" saying what is
// wrong: not base64 (CodeInvalidSecret), an asymmetric whsk_/whpk_ key
// (CodeInvalidSecret: only HMAC is supported), or a key shorter than
// MinSecretBytes or longer than MaxSecretBytes.
func ParseSecret(s string) (Secret, error) {
	s = strings.TrimSpace(s)
	encoded := strings.TrimPrefix(s, SecretPrefix)
	switch {
	case s == "" || encoded == "":
		return Secret{}, secretError(CodeInvalidSecret, "the secret is empty; expected whsec_ followed by base64")
	case strings.HasPrefix(s, "whsk_") || strings.HasPrefix(s, "whpk_"):
		return Secret{}, secretError(CodeInvalidSecret, "asymmetric (ed25519) webhook keys are not supported; use a whsec_ secret")
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return Secret{}, secretError(CodeInvalidSecret, "the secret is not valid base64 after the whsec_ prefix")
	}
	if len(key) < MinSecretBytes {
		return Secret{}, secretError(CodeSecretTooShort, fmt.Sprintf(
			"the secret holds %d bytes of key; at least %d are required", len(key), MinSecretBytes))
	}
	if len(key) > MaxSecretBytes {
		return Secret{}, secretError(CodeSecretTooLong, fmt.Sprintf(
			"the secret holds %d bytes of key; at most %d are allowed", len(key), MaxSecretBytes))
	}
	return Secret{key: key}, nil
}

func secretError(code, message string) error {
	var v apperr.Validation
	v.Add(FieldSecret, code, message)
	return v.Err()
}

// NewSecret returns a fresh random secret of 32 bytes, for a subscription
// whose administrator did not bring one. crypto/rand cannot fail on the
// platforms Go supports (it aborts the program rather than return weak
// bytes), so there is no error to handle.
func NewSecret() Secret {
	key := make([]byte, generatedSecretBytes)
	_, _ = rand.Read(key)
	return Secret{key: key}
}

// IsZero reports whether s holds no key (the zero Secret).
func (s Secret) IsZero() bool { return len(s.key) == 0 }

// Reveal returns the secret in its spec form, "whsec_<base64>", which
// ParseSecret reads back. Call it only to store the secret or to show it to
// the administrator who owns it.
func (s Secret) Reveal() string {
	if s.IsZero() {
		return ""
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(s.key)
}

// Equal reports whether s and o hold the same key. It is not constant-time:
// use it to compare configuration, never to check a signature.
func (s Secret) Equal(o Secret) bool { return string(s.key) == string(o.key) }

// String hides the key: secrets end up in logs and error messages by
// accident, never on purpose.
func (s Secret) String() string {
	if s.IsZero() {
		return SecretPrefix + "[none]"
	}
	return SecretPrefix + "[redacted]"
}

// GoString hides the key from %#v as well.
func (s Secret) GoString() string { return "webhook.Secret(" + s.String() + ")" }

// LogValue hides the key from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
