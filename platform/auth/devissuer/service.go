package devissuer

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/url"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
)

// Service clients: the client credentials grant.
//
// A Closeloop service that must call another with no user behind the call —
// a workflow's local activity, which must not carry a user's token in its
// history — needs an identity of its own. At an identity provider that is a
// confidential client with a secret, obtaining access tokens for itself
// with the client_credentials grant (RFC 6749 section 4.4): a Keycloak client
// with service accounts enabled, say. The dev issuer serves the same grant
// for the clients registered with RegisterServiceClient, so that `make run`
// and the tests can run the services as production would.
//
// Such a token is an access token of the issuer's audience whose client_id
// names the client, whose subject is ServiceSubject(client) — Keycloak's user
// name for a client's service account — with the role ServiceRole and no
// team; no refresh token and no ID token come with it (the client asks again
// when it expires). Every user route refuses such a token (service_token);
// a route meant for services accepts it from the clients it names
// (auth.ServiceMiddleware).

// ServiceRole is the role of a service client's tokens (auth.RoleService).
const ServiceRole = string(auth.RoleService)

// minServiceSecret is the shortest secret RegisterServiceClient accepts.
const minServiceSecret = 16

// ServiceSubject is the subject of the tokens issued to service client id.
func ServiceSubject(clientID string) string { return "service-account-" + clientID }

// RegisterServiceClient registers a confidential client that obtains access
// tokens for itself with the client_credentials grant, authenticating with
// secret by HTTP Basic authentication (client_secret_basic, the user name
// and password form-encoded) or in the request body (client_secret_post).
// It may use no other grant, and a public client may not use this one.
// Registering the client again replaces its secret.
//
// RegisterServiceClient panics when clientID is empty or already a public
// client's, or when secret is shorter than 16 bytes: a programming error at
// start-up, as in RegisterClient.
func (i *Issuer) RegisterServiceClient(clientID, secret string) {
	if clientID == "" {
		panic("devissuer: RegisterServiceClient: empty client id")
	}
	if len(secret) < minServiceSecret {
		panic(fmt.Sprintf("devissuer: RegisterServiceClient(%q): the secret must be at least %d bytes", clientID, minServiceSecret))
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	if _, public := i.clients[clientID]; public {
		panic(fmt.Sprintf("devissuer: RegisterServiceClient(%q): already registered as a public client", clientID))
	}
	i.services[clientID] = sha256.Sum256([]byte(secret))
}

// serviceClient reports whether clientID is a registered service client.
func (i *Issuer) serviceClient(clientID string) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	_, ok := i.services[clientID]
	return ok
}

// serviceSecretOK reports whether secret is service client clientID's, in
// time independent of where the two differ.
func (i *Issuer) serviceSecretOK(clientID, secret string) bool {
	i.mu.Lock()
	want, ok := i.services[clientID]
	i.mu.Unlock()
	got := sha256.Sum256([]byte(secret))
	return ok && subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// clientCredentials serves the client_credentials grant for an
// authenticated service client: an access token, nothing else.
func (i *Issuer) clientCredentials(clientID string, form url.Values) (tokenResponse, *oauthError) {
	if form.Get("scope") != "" {
		return tokenResponse{}, &oauthError{Code: "invalid_scope", Description: "a service client's token carries no scope: send none"}
	}
	ttl, _ := i.tokenTTL()
	p := auth.Principal{Subject: ServiceSubject(clientID), Roles: []auth.Role{auth.RoleService}}
	access, err := i.mint(p, Audience, ttl, clientID)
	if err != nil {
		return tokenResponse{}, &oauthError{Code: "server_error", Description: "the token could not be signed", status: 500}
	}
	return tokenResponse{AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(ttl / time.Second)}, nil
}
