package devissuer

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// supportedScopes are the scopes /authorize accepts; openid is required.
var supportedScopes = []string{"openid", "profile", "offline_access"}

// maxFormBytes bounds the body of a form the issuer reads.
const maxFormBytes = 64 << 10

// authRequest is a checked authorization request.
type authRequest struct {
	clientID, redirectURI, scope, state, nonce, codeChallenge string
	scopes                                                    []string
}

// fields are the request's parameters as the login form repeats them.
func (r authRequest) fields() []hiddenField {
	return []hiddenField{
		{"response_type", "code"}, {"client_id", r.clientID}, {"redirect_uri", r.redirectURI},
		{"scope", r.scope}, {"state", r.state}, {"nonce", r.nonce},
		{"code_challenge", r.codeChallenge}, {"code_challenge_method", "S256"},
	}
}

// parseAuthRequest checks an authorization request. When its client or redirect
// URI cannot be trusted the result is a message for the error page (the browser
// is never sent to an unchecked URI); any other fault is an oauthError to send
// to the redirect URI, as RFC 6749 section 4.1.2.1 says.
func (i *Issuer) parseAuthRequest(form url.Values) (req authRequest, page string, oerr *oauthError) {
	for _, name := range []string{"client_id", "redirect_uri"} {
		if len(form[name]) > 1 {
			return req, name + " is given more than once.", nil
		}
	}
	req.clientID, req.redirectURI = form.Get("client_id"), form.Get("redirect_uri")
	switch {
	case req.clientID == "":
		return req, "The request names no client: client_id is missing.", nil
	case !i.clientKnown(req.clientID):
		return req, fmt.Sprintf("Client %q is not registered with this issuer.", req.clientID), nil
	case req.redirectURI == "":
		return req, "redirect_uri is missing.", nil
	case !i.redirectRegistered(req.clientID, req.redirectURI):
		return req, fmt.Sprintf("redirect_uri %q is not registered for client %q.", req.redirectURI, req.clientID), nil
	}
	req.state = form.Get("state")
	for _, f := range req.fields() {
		if len(form[f.Name]) > 1 {
			return req, "", invalidRequest(f.Name + " is given more than once")
		}
	}
	req.scope, req.nonce, req.codeChallenge = form.Get("scope"), form.Get("nonce"), form.Get("code_challenge")
	switch rt := form.Get("response_type"); rt {
	case "code":
	case "":
		return req, "", invalidRequest("response_type is missing")
	default:
		return req, "", &oauthError{Code: "unsupported_response_type", Description: fmt.Sprintf("response_type %q is not supported; use code", rt)}
	}
	for s := range strings.FieldsSeq(req.scope) {
		if !slices.Contains(supportedScopes, s) {
			return req, "", &oauthError{Code: "invalid_scope", Description: fmt.Sprintf("scope %q is not supported (supported: %s)", s, strings.Join(supportedScopes, ", "))}
		}
		if !slices.Contains(req.scopes, s) {
			req.scopes = append(req.scopes, s)
		}
	}
	if !slices.Contains(req.scopes, "openid") {
		return req, "", &oauthError{Code: "invalid_scope", Description: "scope must include openid"}
	}
	switch m := form.Get("code_challenge_method"); {
	case req.codeChallenge == "":
		return req, "", invalidRequest("code_challenge is required: this issuer only serves PKCE clients")
	case m != "S256":
		return req, "", invalidRequest(fmt.Sprintf("code_challenge_method must be S256, not %q", m))
	case !validChallenge(req.codeChallenge):
		return req, "", invalidRequest("code_challenge must be the base64url (unpadded) SHA-256 of the code verifier: 43 characters")
	}
	return req, "", nil
}

// validChallenge reports whether c can be an S256 challenge.
func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == 32 && len(c) == 43
}

// showLogin serves GET /authorize: the login page for a valid request.
func (i *Issuer) showLogin(w http.ResponseWriter, r *http.Request) {
	form := r.URL.Query()
	req, page, oerr := i.parseAuthRequest(form)
	switch {
	case page != "":
		renderPage(w, http.StatusBadRequest, "error", page)
	case oerr != nil:
		redirectWith(w, r, req.redirectURI, oerr.params(req.state))
	case slices.Contains(strings.Fields(form.Get("prompt")), "none"):
		// Without a session there is nobody signed in to answer silently.
		oerr := &oauthError{Code: "login_required", Description: "the development issuer keeps no session; the user must choose a user on its login page"}
		redirectWith(w, r, req.redirectURI, oerr.params(req.state))
	default:
		renderPage(w, http.StatusOK, "login", i.loginView(req, ""))
	}
}

// login serves POST /authorize, the login form: it checks the request again
// (the hidden fields come from the browser), and redirects with a code for the
// chosen development user.
func (i *Issuer) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		renderPage(w, http.StatusBadRequest, "error", "The login form could not be read.")
		return
	}
	req, page, oerr := i.parseAuthRequest(r.PostForm)
	switch {
	case page != "":
		renderPage(w, http.StatusBadRequest, "error", page)
		return
	case oerr != nil:
		redirectWith(w, r, req.redirectURI, oerr.params(req.state))
		return
	}
	sub := r.PostForm["sub"]
	if len(sub) != 1 {
		renderPage(w, http.StatusBadRequest, "login", i.loginView(req, "Choose one user."))
		return
	}
	if _, err := DevUser(sub[0]); err != nil {
		renderPage(w, http.StatusBadRequest, "login", i.loginView(req, fmt.Sprintf("There is no development user %q; choose one below.", sub[0])))
		return
	}
	params := url.Values{"code": {i.issueCode(req, sub[0])}}
	if req.state != "" {
		params.Set("state", req.state)
	}
	redirectWith(w, r, req.redirectURI, params)
}

// logout serves the end-session endpoint (OpenID Connect RP-Initiated Logout):
// it ends the refresh tokens of the user and client an id_token_hint names,
// then redirects to post_logout_redirect_uri (with state) when that is allowed
// (see RegisterClient) or shows the signed-out page.
func (i *Issuer) logout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		renderPage(w, http.StatusBadRequest, "error", "The logout request could not be read.")
		return
	}
	clientID, redirect := r.Form.Get("client_id"), r.Form.Get("post_logout_redirect_uri")
	var subject string
	if hint := r.Form.Get("id_token_hint"); hint != "" {
		sub, aud, err := i.parseIDTokenHint(hint)
		switch {
		case err != nil:
			renderPage(w, http.StatusBadRequest, "error", "id_token_hint is not an ID token of this issuer.")
			return
		case clientID != "" && !slices.Contains(aud, clientID):
			renderPage(w, http.StatusBadRequest, "error", "id_token_hint was not issued to client_id.")
			return
		case clientID == "" && len(aud) == 1:
			clientID = aud[0]
		}
		subject = sub
	}
	if clientID != "" && !i.clientKnown(clientID) {
		renderPage(w, http.StatusBadRequest, "error", fmt.Sprintf("Client %q is not registered with this issuer.", clientID))
		return
	}
	if redirect != "" && !i.postLogoutAllowed(clientID, redirect) {
		renderPage(w, http.StatusBadRequest, "error", fmt.Sprintf("post_logout_redirect_uri %q is not on the host of a registered redirect URI.", redirect))
		return
	}
	if subject != "" && clientID != "" {
		i.revokeSessions(subject, clientID)
	}
	if redirect == "" {
		renderPage(w, http.StatusOK, "signedout", nil)
		return
	}
	params := url.Values{}
	if state := r.Form.Get("state"); state != "" {
		params.Set("state", state)
	}
	redirectWith(w, r, redirect, params)
}

// parseIDTokenHint checks that hint was signed by this issuer and returns its
// subject and audience. An expired hint is accepted, as the logout
// specification asks.
func (i *Issuer) parseIDTokenHint(hint string) (subject string, audience []string, err error) {
	tok, err := jwt.ParseSigned(hint, []jose.SignatureAlgorithm{i.alg})
	if err != nil {
		return "", nil, err
	}
	var c jwt.Claims
	if err := tok.Claims(i.public.Key, &c); err != nil {
		return "", nil, err
	}
	if c.Issuer != i.url || c.Subject == "" {
		return "", nil, fmt.Errorf("token from issuer %q for subject %q", c.Issuer, c.Subject)
	}
	return c.Subject, c.Audience, nil
}

// redirectWith sends the browser to base (a checked URI) with params added to
// its query, with 303 See Other.
func redirectWith(w http.ResponseWriter, r *http.Request, base string, params url.Values) {
	u, err := url.Parse(base)
	if err != nil {
		renderPage(w, http.StatusBadRequest, "error", "The redirect URI cannot be parsed.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}
