package devissuer

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/closeloop/closeloop/platform/auth"
)

// DevZoneInfo is the zoneinfo claim of the development users' ID tokens.
const DevZoneInfo = "Asia/Shanghai"

// oauthError is an OAuth 2.0 error (RFC 6749 sections 4.1.2.1 and 5.2).
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description,omitempty"`
	status      int    // for the token endpoint; 400 when zero
	basic       bool   // the client tried HTTP Basic authentication
}

func invalidRequest(desc string) *oauthError {
	return &oauthError{Code: "invalid_request", Description: desc}
}

func invalidGrant(desc string) *oauthError {
	return &oauthError{Code: "invalid_grant", Description: desc}
}

func invalidClient(desc string, basic bool) *oauthError {
	return &oauthError{Code: "invalid_client", Description: desc, basic: basic}
}

// params are the error as redirect query parameters.
func (e *oauthError) params(state string) url.Values {
	v := url.Values{"error": {e.Code}, "error_description": {e.Description}}
	if state != "" {
		v.Set("state", state)
	}
	return v
}

// tokenResponse is a successful token endpoint answer (RFC 6749 section 5.1,
// OpenID Connect Core section 3.1.3.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// token serves POST /token: the authorization_code and refresh_token grants
// for registered public clients, the client_credentials grant for service
// clients (service.go).
func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	resp, oerr := i.grant(w, r)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if oerr != nil {
		status := http.StatusBadRequest
		if oerr.status != 0 {
			status = oerr.status
		}
		if oerr.basic {
			// RFC 6749 section 5.2: a failed Authorization header gets 401.
			status = http.StatusUnauthorized
			w.Header().Set("WWW-Authenticate", `Basic realm="devissuer"`)
		}
		writeJSONStatus(w, status, oerr)
		return
	}
	writeJSONStatus(w, http.StatusOK, resp)
}

func (i *Issuer) grant(w http.ResponseWriter, r *http.Request) (tokenResponse, *oauthError) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return tokenResponse{}, invalidRequest("the request body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return tokenResponse{}, invalidRequest("the request body cannot be parsed as a form")
	}
	form := r.PostForm
	for name, values := range form {
		if len(values) > 1 {
			return tokenResponse{}, invalidRequest(name + " is given more than once")
		}
	}
	clientID, service, oerr := i.authenticateClient(r, form)
	if oerr != nil {
		return tokenResponse{}, oerr
	}
	gt := form.Get("grant_type")
	switch {
	case gt == "client_credentials" && !service:
		return tokenResponse{}, &oauthError{Code: "unauthorized_client", Description: fmt.Sprintf("client %q is public: the client_credentials grant is for service clients", clientID)}
	case gt == "client_credentials":
		return i.clientCredentials(clientID, form)
	case service && (gt == "authorization_code" || gt == "refresh_token"):
		return tokenResponse{}, &oauthError{Code: "unauthorized_client", Description: fmt.Sprintf("client %q is a service client: it may use the client_credentials grant only", clientID)}
	}
	var (
		s    session
		gerr *oauthError
	)
	switch gt {
	case "authorization_code":
		if missing := missingParams(form, "code", "redirect_uri", "code_verifier"); missing != "" {
			return tokenResponse{}, invalidRequest(missing)
		}
		if !validVerifier(form.Get("code_verifier")) {
			return tokenResponse{}, invalidRequest("code_verifier must be 43 to 128 characters from A-Z, a-z, 0-9, '-', '.', '_' and '~'")
		}
		s, gerr = i.redeemCode(form.Get("code"), clientID, form.Get("redirect_uri"), form.Get("code_verifier"))
	case "refresh_token":
		if missing := missingParams(form, "refresh_token"); missing != "" {
			return tokenResponse{}, invalidRequest(missing)
		}
		s, gerr = i.rotateRefresh(form.Get("refresh_token"), clientID, form.Get("scope"))
	case "":
		return tokenResponse{}, invalidRequest("grant_type is missing")
	default:
		return tokenResponse{}, &oauthError{Code: "unsupported_grant_type", Description: fmt.Sprintf("grant_type %q is not supported (supported: authorization_code, refresh_token, client_credentials)", gt)}
	}
	if gerr != nil {
		return tokenResponse{}, gerr
	}
	resp, err := i.issueTokens(s)
	if err != nil {
		return tokenResponse{}, &oauthError{Code: "server_error", Description: "the tokens could not be signed", status: http.StatusInternalServerError}
	}
	return resp, nil
}

// authenticateClient returns the registered client the request comes from,
// and whether it is a service client. A public client names itself —
// client_id in the body, or the user name of HTTP Basic authentication with
// an empty password (what golang.org/x/oauth2 sends for a client without
// secret) — and has no secret to check. A service client authenticates with
// its secret, by HTTP Basic authentication (client_secret_basic: user name
// and password form-encoded, RFC 6749 section 2.3.1) or client_id and
// client_secret in the body (client_secret_post), not both.
func (i *Issuer) authenticateClient(r *http.Request, form url.Values) (string, bool, *oauthError) {
	clientID, secret := form.Get("client_id"), form.Get("client_secret")
	user, pass, basic := r.BasicAuth()
	if basic {
		id, err := url.QueryUnescape(user)
		p, perr := url.QueryUnescape(pass)
		switch {
		case err != nil || id == "":
			return "", false, invalidClient("the Basic authentication user name is not a client id", true)
		case perr != nil:
			return "", false, invalidClient("the Basic authentication password is not form-encoded", true)
		case clientID != "" && clientID != id:
			return "", false, invalidRequest("client_id differs from the client in the Authorization header")
		case secret != "" && p != "":
			return "", false, invalidRequest("the client authenticates twice: with HTTP Basic authentication and client_secret")
		}
		clientID = id
		if p != "" {
			secret = p
		}
	}
	switch {
	case clientID == "":
		return "", false, invalidRequest("client_id is missing")
	case i.serviceClient(clientID):
		if secret == "" {
			return "", false, invalidClient(fmt.Sprintf("client %q is a service client: it must authenticate with its secret", clientID), basic)
		}
		if !i.serviceSecretOK(clientID, secret) {
			return "", false, invalidClient("the client could not be authenticated", basic)
		}
		return clientID, true, nil
	case !i.clientKnown(clientID):
		return "", false, invalidClient(fmt.Sprintf("client %q is not registered", clientID), basic)
	case secret != "":
		return "", false, invalidClient(fmt.Sprintf("client %q is public: it has no secret", clientID), basic)
	}
	return clientID, false, nil
}

// issueTokens signs an access token, an ID token and returns them with s's
// refresh token.
func (i *Issuer) issueTokens(s session) (tokenResponse, error) {
	p, err := DevUser(s.subject)
	if err != nil {
		return tokenResponse{}, err
	}
	accessTTL, _ := i.tokenTTL()
	access, err := i.mint(p, Audience, accessTTL, s.clientID)
	if err != nil {
		return tokenResponse{}, err
	}
	id, err := i.idToken(p, s, accessTTL)
	if err != nil {
		return tokenResponse{}, err
	}
	return tokenResponse{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(accessTTL / time.Second),
		RefreshToken: s.refreshToken, IDToken: id, Scope: strings.Join(s.scopes, " "),
	}, nil
}

// idClaims are the ID token's claims beyond the registered ones. name and
// zoneinfo are profile claims, present when the profile scope was granted.
type idClaims struct {
	Nonce    string   `json:"nonce,omitempty"`
	AuthTime int64    `json:"auth_time"`
	AZP      string   `json:"azp"`
	Name     string   `json:"name,omitempty"`
	ZoneInfo string   `json:"zoneinfo,omitempty"`
	Roles    []string `json:"roles"`
	Teams    []string `json:"teams"`
}

// idToken signs the ID token of s for p, audience the client, valid for ttl.
func (i *Issuer) idToken(p auth.Principal, s session, ttl time.Duration) (string, error) {
	now := i.now()
	c := idClaims{
		Nonce: s.nonce, AuthTime: s.authTime.Unix(), AZP: s.clientID,
		Roles: roleNames(p), Teams: append([]string{}, p.Teams...),
	}
	if slices.Contains(s.scopes, "profile") {
		c.Name, c.ZoneInfo = p.Name, DevZoneInfo
	}
	return jwt.Signed(i.signer).
		Claims(jwt.Claims{
			Issuer:   i.url,
			Subject:  p.Subject,
			Audience: jwt.Audience{s.clientID},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(now.Add(ttl)),
			ID:       randomToken(),
		}).
		Claims(c).
		Serialize()
}

// missingParams names the first of names absent from form, or returns "".
func missingParams(form url.Values, names ...string) string {
	for _, n := range names {
		if form.Get(n) == "" {
			return n + " is missing"
		}
	}
	return ""
}

// validVerifier checks a PKCE code verifier's form (RFC 7636 section 4.1).
func validVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	for _, c := range v {
		ok := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("-._~", c)
		if !ok {
			return false
		}
	}
	return true
}

// narrowScopes returns requested when it asks for no scope beyond granted.
func narrowScopes(granted []string, requested string) ([]string, *oauthError) {
	var out []string
	for s := range strings.FieldsSeq(requested) {
		if !slices.Contains(granted, s) {
			return nil, &oauthError{Code: "invalid_scope", Description: fmt.Sprintf("scope %q was not granted to this refresh token", s)}
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if !slices.Contains(out, "openid") {
		return nil, &oauthError{Code: "invalid_scope", Description: "scope must include openid"}
	}
	return out, nil
}

func writeJSONStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
