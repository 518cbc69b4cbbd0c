// Package session keeps the web console's sign-in state in one encrypted
// cookie: who the user is, the tokens the console calls the services' APIs
// with, and the anti-CSRF token of the session. The console holds no state of
// its own on the server, so any replica can serve any request.
//
// The cookie is sealed with AES-256-GCM under the configured key; it is
// HttpOnly, SameSite=Lax and Secure when the console is served over TLS. A
// cookie that does not open (another key, tampered with, or expired) is
// treated as no session at all.
package session

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CookieName is the session cookie's name.
const CookieName = "closeloop_session"

// maxCookieBytes is the largest value a browser is sure to keep (4 KiB per
// cookie, name and attributes included).
const maxCookieBytes = 3900

// Session is one signed-in user's state.
type Session struct {
	Subject  string   `json:"sub"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Teams    []string `json:"teams,omitempty"`
	TimeZone string   `json:"tz,omitempty"`

	AccessToken  string    `json:"at"`
	RefreshToken string    `json:"rt,omitempty"`
	TokenExpiry  time.Time `json:"exp"`
	IDToken      string    `json:"idt,omitempty"`

	// CSRF is the session's anti-CSRF token: every state-changing request
	// must carry it (form field or header).
	CSRF string `json:"csrf"`
	// Started is when the user signed in; a session ends MaxAge after it
	// whatever the tokens say.
	Started time.Time `json:"started"`
}

// Has reports whether the session's user holds role.
func (s *Session) Has(role string) bool {
	for _, r := range s.Roles {
		if r == role {
			return true
		}
	}
	return false
}

// CheckCSRF reports whether token is this session's anti-CSRF token
// (compared in constant time).
func (s *Session) CheckCSRF(token string) bool {
	return s.CSRF != "" && subtle.ConstantTimeCompare([]byte(s.CSRF), []byte(token)) == 1
}

// Codec seals sessions into cookies and opens them again.
type Codec struct {
	aead   cipher.AEAD
	secure bool
	maxAge time.Duration
	now    func() time.Time
}

// NewCodec returns a codec for the base64-encoded 32-byte key. secure makes
// cookies Secure (the console is served over https); maxAge bounds a session's
// life from sign-in.
func NewCodec(key string, secure bool, maxAge time.Duration) (*Codec, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(key))
	if err != nil {
		raw, err = base64.RawURLEncoding.DecodeString(strings.TrimSpace(key))
	}
	if err != nil || len(raw) != 32 {
		return nil, errors.New("WEB_SESSION_KEY must be the base64 encoding of 32 random bytes (e.g. `openssl rand -base64 32`)")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if maxAge <= 0 {
		maxAge = 12 * time.Hour
	}
	return &Codec{aead: aead, secure: secure, maxAge: maxAge, now: time.Now}, nil
}

// NewKey returns a fresh random key in the form NewCodec takes.
func NewKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Token returns a random URL-safe token of n bytes' entropy.
func Token(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Secure reports whether the codec's cookies are Secure.
func (c *Codec) Secure() bool { return c.secure }

// Seal encrypts v under the codec's key, bound to name (a value sealed for
// one cookie does not open as another).
func (c *Codec) Seal(name string, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return c.SealBytes(name, plain)
}

// SealBytes encrypts plain as Seal does, as given (for data that is not
// JSON, such as a compressed form field).
func (c *Codec) SealBytes(name string, plain []byte) (string, error) {
	nonce := make([]byte, c.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := c.aead.Seal(nonce, nonce, plain, []byte(name))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal made for name into v.
func (c *Codec) Open(name, sealed string, v any) error {
	plain, err := c.OpenBytes(name, sealed)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// OpenBytes decrypts what SealBytes made for name.
func (c *Codec) OpenBytes(name, sealed string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return nil, errors.New("session: malformed cookie")
	}
	n := c.aead.NonceSize()
	plain, err := c.aead.Open(nil, raw[:n], raw[n:], []byte(name))
	if err != nil {
		return nil, errors.New("session: cookie does not open with this key")
	}
	return plain, nil
}

// Load returns the request's session, or nil when there is none that is
// valid and unexpired.
func (c *Codec) Load(r *http.Request) *Session {
	ck, err := r.Cookie(CookieName)
	if err != nil {
		return nil
	}
	var s Session
	if err := c.Open(CookieName, ck.Value, &s); err != nil {
		return nil
	}
	if s.Subject == "" || s.CSRF == "" || c.now().After(s.Started.Add(c.maxAge)) {
		return nil
	}
	return &s
}

// Save writes s as the session cookie.
func (c *Codec) Save(w http.ResponseWriter, s *Session) error {
	v, err := c.Seal(CookieName, s)
	if err != nil {
		return err
	}
	if len(v) > maxCookieBytes {
		return fmt.Errorf("session: the sealed session is %d bytes, more than a browser keeps in a cookie", len(v))
	}
	http.SetCookie(w, c.cookie(CookieName, v, int(c.maxAge.Seconds())))
	return nil
}

// Clear removes the session cookie.
func (c *Codec) Clear(w http.ResponseWriter) {
	http.SetCookie(w, c.cookie(CookieName, "", -1))
}

// SaveTemp writes a short-lived sealed cookie (the sign-in's state and PKCE
// verifier between the redirect to the issuer and its answer).
func (c *Codec) SaveTemp(w http.ResponseWriter, name string, v any, ttl time.Duration) error {
	sealed, err := c.Seal(name, v)
	if err != nil {
		return err
	}
	http.SetCookie(w, c.cookie(name, sealed, int(ttl.Seconds())))
	return nil
}

// LoadTemp opens a cookie SaveTemp wrote and removes it.
func (c *Codec) LoadTemp(w http.ResponseWriter, r *http.Request, name string, v any) error {
	ck, err := r.Cookie(name)
	if err != nil {
		return errors.New("session: no " + name + " cookie")
	}
	http.SetCookie(w, c.cookie(name, "", -1))
	return c.Open(name, ck.Value, v)
}

func (c *Codec) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode,
	}
}
