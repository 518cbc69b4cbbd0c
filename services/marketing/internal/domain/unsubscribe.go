package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/closeloop/closeloop/platform/apperr"
)

// Unsubscribe links. Every campaign email carries a link that opts its
// customer out of marketing without a login. The link's token names the
// customer and the campaign and when it expires, and is signed with
// HMAC-SHA256 under a key only the marketing service holds
// (UNSUBSCRIBE_KEY): nobody can make a link for another customer, move its
// expiry or reuse it after it expired. Nothing is stored per link, so any
// replica checks any link.
//
// A token is base64url (no padding) of 73 bytes: a version byte (1), the
// customer's and the campaign's UUIDs (16 bytes each), the expiry in Unix
// seconds (8 bytes, big-endian) and the MAC of those 41 bytes (32 bytes).

// MinUnsubscribeKey is the shortest key accepted, in bytes: as long as the
// MAC, so the key is no weaker than the signature.
const MinUnsubscribeKey = 32

const (
	tokenVersion = 1
	payloadLen   = 1 + 16 + 16 + 8
	tokenLen     = payloadLen + sha256.Size
	macContext   = "closeloop/unsubscribe\x00"
)

// Refusals of an unsubscribe link: the page and its JSON twin answer them
// with 400 and 410, and change nothing.
var (
	// ErrUnsubscribeInvalid: the token is not one the service signed (cut
	// short, altered, or signed under another key).
	ErrUnsubscribeInvalid = apperr.Invalid("unsubscribe_link_invalid", "this unsubscribe link is not valid: it is incomplete or was altered; open the link exactly as the email has it")
	// ErrUnsubscribeExpired: the token was signed but its time has passed.
	ErrUnsubscribeExpired = apperr.Rule("unsubscribe_link_expired", "this unsubscribe link has expired; reply to the email or contact us to stop our marketing")
)

// Unsubscribe is what a valid link names.
type Unsubscribe struct {
	CustomerID, CampaignID string
	ExpiresAt              time.Time
}

// UnsubscribeSigner signs and checks unsubscribe links with one key; links
// live TTL from when they are signed.
type UnsubscribeSigner struct {
	key []byte
	ttl time.Duration
}

// NewUnsubscribeSigner returns the signer for key (at least
// MinUnsubscribeKey bytes) and a positive ttl.
func NewUnsubscribeSigner(key string, ttl time.Duration) (UnsubscribeSigner, error) {
	if len(key) < MinUnsubscribeKey {
		return UnsubscribeSigner{}, errors.New("the unsubscribe key must be at least 32 bytes (e.g. openssl rand -base64 48)")
	}
	if ttl <= 0 {
		return UnsubscribeSigner{}, errors.New("the unsubscribe link's lifetime must be positive")
	}
	return UnsubscribeSigner{key: []byte(key), ttl: ttl}, nil
}

// TTL is how long a link works after it is signed.
func (s UnsubscribeSigner) TTL() time.Duration { return s.ttl }

// Sign returns the token of the link that opts customerID out, sent in
// campaignID's email at now; both ids are UUIDs.
func (s UnsubscribeSigner) Sign(customerID, campaignID string, now time.Time) (string, error) {
	cust, err := uuid.Parse(customerID)
	if err != nil {
		return "", errors.New("unsubscribe link: the customer id is not a UUID")
	}
	camp, err := uuid.Parse(campaignID)
	if err != nil {
		return "", errors.New("unsubscribe link: the campaign id is not a UUID")
	}
	b := make([]byte, payloadLen, tokenLen)
	b[0] = tokenVersion
	copy(b[1:17], cust[:])
	copy(b[17:33], camp[:])
	binary.BigEndian.PutUint64(b[33:41], uint64(now.Add(s.ttl).Unix()))
	return base64.RawURLEncoding.EncodeToString(append(b, s.mac(b)...)), nil
}

// Check reads a token at now: ErrUnsubscribeInvalid unless the service
// signed it with this key, ErrUnsubscribeExpired once it has expired (the
// MAC is checked first, so an altered expiry is invalid, not expired).
func (s UnsubscribeSigner) Check(token string, now time.Time) (Unsubscribe, error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenLen) {
		return Unsubscribe{}, ErrUnsubscribeInvalid
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != tokenLen || b[0] != tokenVersion {
		return Unsubscribe{}, ErrUnsubscribeInvalid
	}
	if !hmac.Equal(b[payloadLen:], s.mac(b[:payloadLen])) {
		return Unsubscribe{}, ErrUnsubscribeInvalid
	}
	u := Unsubscribe{CustomerID: uuid.UUID(b[1:17]).String(), CampaignID: uuid.UUID(b[17:33]).String(),
		ExpiresAt: time.Unix(int64(binary.BigEndian.Uint64(b[33:41])), 0).UTC()}
	if !now.Before(u.ExpiresAt) {
		return u, ErrUnsubscribeExpired
	}
	return u, nil
}

func (s UnsubscribeSigner) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(macContext))
	m.Write(payload)
	return m.Sum(nil)
}
