package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// A survey link's token: 256 random bits, base64url without padding (43
// characters). Only its SHA-256 is stored, so reading the database yields
// no usable link; a link is checked by hashing its token and looking the
// hash up. 256 bits cannot be guessed, so a token that names no survey is
// simply not found.
const tokenBytes = 32

// TokenLen is the length of a token as it appears in a link.
var TokenLen = base64.RawURLEncoding.EncodedLen(tokenBytes)

// NewToken returns a new token and its hash.
func NewToken() (token, hash string) {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (it crashes the program instead)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken is the stored form of a token: its SHA-256, in hex.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ValidToken reports whether s has a token's shape. A link of another shape
// names no survey and needs no look-up.
func ValidToken(s string) bool {
	if len(s) != TokenLen {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == tokenBytes
}
