package auth_test

import (
	"testing"
	"time"
)

// TestAccessTokenRules: with the default options, a correctly signed token
// from the right issuer for the right audience is still refused when it is
// not an access token, names no client while addressed to several audiences,
// lives longer than 24 hours, or says it was issued (or becomes valid) more
// than a minute in the future. Each refusal is 401 unauthenticated with its
// reason.
func TestAccessTokenRules(t *testing.T) {
	ki := newKeyIssuer(t)
	ki.addKey("k1", true)
	v := newVerifier(t, ki.url)
	now := time.Now()
	hours := func(h float64) int64 { return now.Add(time.Duration(h * float64(time.Hour))).Unix() }
	seconds := func(s int) int64 { return now.Add(time.Duration(s) * time.Second).Unix() }
	cases := []struct {
		name   string
		typ    string // JWT header typ
		edits  map[string]any
		reason string // "accepted" when the token must pass
	}{
		{"plain access token", "", nil, "accepted"},
		{"header typ JWT", "JWT", nil, "accepted"},
		{"header typ at+jwt (RFC 9068)", "at+jwt", nil, "accepted"},
		{"header typ application/at+jwt", "application/at+jwt", nil, "accepted"},
		{"header typ logout+jwt", "logout+jwt", nil, "not_an_access_token"},
		{"header typ secevent+jwt", "secevent+jwt", nil, "not_an_access_token"},
		{"Keycloak access token (typ Bearer)", "JWT", map[string]any{"typ": "Bearer", "azp": "web"}, "accepted"},
		{"Keycloak ID token (typ ID)", "JWT", map[string]any{"typ": "ID", "azp": "web"}, "not_an_access_token"},
		{"Keycloak refresh token (typ Refresh)", "JWT", map[string]any{"typ": "Refresh"}, "not_an_access_token"},
		{"Keycloak offline token", "JWT", map[string]any{"typ": "Offline"}, "not_an_access_token"},
		{"typ claim not a string", "", map[string]any{"typ": 1}, "not_an_access_token"},
		{"several audiences with azp", "", map[string]any{"aud": []string{audience, "account"}, "azp": "web"}, "accepted"},
		{"several audiences without azp", "", map[string]any{"aud": []string{audience, "account"}}, "azp_missing"},
		{"several audiences, client_id but no azp", "", map[string]any{"aud": []string{"account", audience}, "client_id": "web"}, "azp_missing"},
		{"one audience without azp", "", map[string]any{"aud": []string{audience}}, "accepted"},
		{"other audience only", "", map[string]any{"aud": []string{"account"}, "azp": "web"}, "wrong_audience"},
		{"other issuer", "", map[string]any{"iss": "https://elsewhere.example"}, "wrong_issuer"},
		{"12-hour token (make token)", "", map[string]any{"exp": hours(12)}, "accepted"},
		{"24-hour token", "", map[string]any{"exp": hours(24)}, "accepted"},
		{"25-hour token", "", map[string]any{"exp": hours(25)}, "lifetime_too_long"},
		{"year-long token", "", map[string]any{"exp": hours(24 * 365)}, "lifetime_too_long"},
		{"issued 30 h ago, valid 1 more h", "", map[string]any{"iat": hours(-30), "exp": hours(1)}, "lifetime_too_long"},
		{"no iat", "", map[string]any{"iat": nil}, "iat_missing"},
		{"iat 30 s ahead (skew)", "", map[string]any{"iat": seconds(30)}, "accepted"},
		{"iat 2 min ahead", "", map[string]any{"iat": seconds(120)}, "issued_in_future"},
		{"iat a day ahead", "", map[string]any{"iat": hours(24), "exp": hours(25)}, "issued_in_future"},
		{"nbf in the past", "", map[string]any{"nbf": seconds(-60)}, "accepted"},
		{"nbf 30 s ahead (skew)", "", map[string]any{"nbf": seconds(30)}, "accepted"},
		{"nbf 2 min ahead", "", map[string]any{"nbf": seconds(120)}, "not_yet_valid"},
		{"no exp", "", map[string]any{"exp": nil}, "exp_missing"},
		{"expired", "", map[string]any{"iat": seconds(-120), "exp": seconds(-60)}, "token_expired"},
		{"exp before iat", "", map[string]any{"iat": seconds(50), "exp": seconds(20)}, "exp_before_iat"},
		{"no sub", "", map[string]any{"sub": nil}, "sub_missing"},
		{"no known role", "", map[string]any{"roles": []string{"guest"}}, "no_role"},
		{"roles not a list", "", map[string]any{"roles": 7}, "claims"},
		{"aud not a string", "", map[string]any{"aud": 7}, "claims"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := reasonOf(verify(v, ki.sign("k1", c.typ, false, ki.claims(now, c.edits)))); got != c.reason {
				t.Errorf("got %s, want %s", got, c.reason)
			}
		})
	}
}
