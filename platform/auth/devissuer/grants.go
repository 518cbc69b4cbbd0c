package devissuer

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"time"
)

// codeTTL is how long an authorization code may be exchanged.
const codeTTL = 60 * time.Second

// authCode is an authorization code and what it is bound to. After its
// exchange it is kept (marked with the grant it started) so that a second use
// is recognised and the tokens issued for it can be revoked.
type authCode struct {
	clientID, redirectURI, challenge, nonce, subject string
	scopes                                           []string
	authTime, expires                                time.Time
	grant                                            string    // set once exchanged
	keepUntil                                        time.Time // when the entry is purged
}

// refreshToken is what an opaque refresh token stands for. A rotated token is
// kept until it would have expired, so that its reuse is recognised.
type refreshToken struct {
	subject, clientID, grant string
	scopes                   []string
	authTime, expires        time.Time
	rotated                  bool
}

// session is what a successful exchange or refresh yields: whom to issue
// tokens for, and the new refresh token. nonce is set only for a code exchange.
type session struct {
	subject, clientID, nonce string
	scopes                   []string
	authTime                 time.Time
	refreshToken             string
}

// issueCode stores a one-time code for subject, bound to the request.
func (i *Issuer) issueCode(req authRequest, subject string) string {
	code := randomToken()
	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.now()
	i.purgeLocked(now)
	i.codes[code] = &authCode{
		clientID: req.clientID, redirectURI: req.redirectURI, challenge: req.codeChallenge,
		nonce: req.nonce, subject: subject, scopes: req.scopes,
		authTime: now, expires: now.Add(codeTTL), keepUntil: now.Add(codeTTL),
	}
	return code
}

// redeemCode exchanges a code once: it must exist, be unexpired, have been
// issued to clientID for redirectURI, and S256(verifier) must be its challenge.
// A failed check leaves the code as it was; a second exchange of a used code is
// refused and revokes the refresh tokens descending from the first.
func (i *Issuer) redeemCode(code, clientID, redirectURI, verifier string) (session, *oauthError) {
	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.now()
	defer i.purgeLocked(now)
	c := i.codes[code]
	switch {
	case c == nil:
		return session{}, invalidGrant("the authorization code is unknown or has expired")
	case c.grant != "":
		i.revokeGrantLocked(c.grant)
		return session{}, invalidGrant("the authorization code has already been used; the tokens issued for it are revoked")
	case !now.Before(c.expires):
		return session{}, invalidGrant("the authorization code has expired")
	case c.clientID != clientID:
		return session{}, invalidGrant("the authorization code was issued to another client")
	case c.redirectURI != redirectURI:
		return session{}, invalidGrant("redirect_uri differs from the one the authorization code was issued for")
	case subtle.ConstantTimeCompare([]byte(s256(verifier)), []byte(c.challenge)) != 1:
		return session{}, invalidGrant("code_verifier does not match the code_challenge")
	}
	c.grant = randomToken()
	// Remember the used code as long as tokens from it may live, to catch a replay.
	c.keepUntil = later(c.expires, now.Add(i.refreshTTL))
	s := session{subject: c.subject, clientID: c.clientID, nonce: c.nonce, scopes: c.scopes, authTime: c.authTime}
	s.refreshToken = i.newRefreshLocked(now, s, c.grant)
	return s, nil
}

// rotateRefresh exchanges a refresh token for a new one: it must exist, be
// unexpired and belong to clientID. Presenting a token that was already
// rotated revokes every refresh token of its sign-in, since one of the two
// parties holding it is not the client. A non-empty scope narrows the scope
// of this refresh's tokens (RFC 6749 section 6); the new refresh token keeps
// the scope of the old one.
func (i *Issuer) rotateRefresh(token, clientID, scope string) (session, *oauthError) {
	i.mu.Lock()
	defer i.mu.Unlock()
	now := i.now()
	defer i.purgeLocked(now)
	t := i.refresh[token]
	switch {
	case t == nil:
		return session{}, invalidGrant("the refresh token is unknown, revoked or expired")
	case t.rotated:
		i.revokeGrantLocked(t.grant)
		return session{}, invalidGrant("the refresh token has already been used; the sign-in it belongs to is revoked")
	case !now.Before(t.expires):
		return session{}, invalidGrant("the refresh token has expired")
	case t.clientID != clientID:
		return session{}, invalidGrant("the refresh token was issued to another client")
	}
	scopes := t.scopes
	if scope != "" {
		narrowed, oerr := narrowScopes(t.scopes, scope)
		if oerr != nil {
			return session{}, oerr
		}
		scopes = narrowed
	}
	t.rotated = true
	s := session{subject: t.subject, clientID: t.clientID, scopes: t.scopes, authTime: t.authTime}
	s.refreshToken = i.newRefreshLocked(now, s, t.grant)
	s.scopes = scopes
	return s, nil
}

// revokeSessions ends every refresh token subject holds at clientID.
func (i *Issuer) revokeSessions(subject, clientID string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for tok, t := range i.refresh {
		if t.subject == subject && t.clientID == clientID {
			delete(i.refresh, tok)
		}
	}
}

// newRefreshLocked stores a new refresh token for s in grant. i.mu is held.
func (i *Issuer) newRefreshLocked(now time.Time, s session, grant string) string {
	tok := randomToken()
	i.refresh[tok] = &refreshToken{
		subject: s.subject, clientID: s.clientID, grant: grant, scopes: s.scopes,
		authTime: s.authTime, expires: now.Add(i.refreshTTL),
	}
	return tok
}

// revokeGrantLocked deletes the refresh tokens of one sign-in. i.mu is held.
func (i *Issuer) revokeGrantLocked(grant string) {
	for tok, t := range i.refresh {
		if t.grant == grant {
			delete(i.refresh, tok)
		}
	}
}

// purgeLocked drops codes and refresh tokens that can no longer be used nor
// need remembering. i.mu is held.
func (i *Issuer) purgeLocked(now time.Time) {
	for code, c := range i.codes {
		if !now.Before(c.keepUntil) {
			delete(i.codes, code)
		}
	}
	for tok, t := range i.refresh {
		if !now.Before(t.expires) {
			delete(i.refresh, tok)
		}
	}
}

// randomToken returns 32 random bytes, base64url-encoded without padding.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

// s256 is the PKCE S256 transformation: BASE64URL(SHA256(verifier)).
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
