package devissuer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// serve starts an httptest server for an issuer built by mk from the server's URL.
func serve(t *testing.T, mk func(url string) (*devissuer.Issuer, error)) (*devissuer.Issuer, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	iss, err := mk(url)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return iss, url
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoveryJWKSAndMint(t *testing.T) {
	iss, url := serve(t, devissuer.New)
	if iss.URL() != url {
		t.Fatalf("URL() = %s", iss.URL())
	}

	var disc struct {
		Issuer  string   `json:"issuer"`
		JWKSURI string   `json:"jwks_uri"`
		Algs    []string `json:"id_token_signing_alg_values_supported"`
	}
	getJSON(t, url+devissuer.DiscoveryPath, &disc)
	if disc.Issuer != url || disc.JWKSURI != url+devissuer.JWKSPath || !slices.Equal(disc.Algs, []string{"RS256"}) {
		t.Fatalf("discovery = %+v", disc)
	}

	var jwks jose.JSONWebKeySet
	getJSON(t, disc.JWKSURI, &jwks)
	if len(jwks.Keys) != 1 || jwks.Keys[0].KeyID != iss.KeyID() || !jwks.Keys[0].IsPublic() || jwks.Keys[0].Use != "sig" {
		t.Fatalf("jwks = %+v", jwks)
	}

	p := auth.Principal{Subject: "mgr-mia", Name: "Mia", Roles: []auth.Role{auth.RoleManager}, Teams: []string{"north"}}
	before := time.Now().Add(-time.Second)
	raw, err := iss.Mint(p, "closeloop", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	if h := tok.Headers[0]; h.KeyID != iss.KeyID() || h.Algorithm != "RS256" {
		t.Errorf("header = %+v", h)
	}
	var std jwt.Claims
	var custom struct {
		Name  string   `json:"name"`
		Roles []string `json:"roles"`
		Teams []string `json:"teams"`
	}
	if err := tok.Claims(jwks.Keys[0].Key, &std, &custom); err != nil {
		t.Fatalf("signature does not verify with the published key: %v", err)
	}
	if err := std.ValidateWithLeeway(jwt.Expected{Issuer: url, Subject: "mgr-mia", AnyAudience: jwt.Audience{"closeloop"}, Time: time.Now()}, 0); err != nil {
		t.Error(err)
	}
	if std.IssuedAt.Time().Before(before) || std.Expiry.Time().Sub(std.IssuedAt.Time()) != time.Hour || len(std.ID) != 43 {
		t.Errorf("iat %v exp %v jti %q", std.IssuedAt.Time(), std.Expiry.Time(), std.ID)
	}
	if custom.Name != "Mia" || !slices.Equal(custom.Roles, []string{"manager"}) || !slices.Equal(custom.Teams, []string{"north"}) {
		t.Errorf("claims = %+v", custom)
	}

	if _, err := iss.Mint(auth.Principal{}, "closeloop", time.Hour); err == nil {
		t.Error("Mint without subject succeeded")
	}
	if _, err := iss.Mint(p, "", time.Hour); err == nil {
		t.Error("Mint without audience succeeded")
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"", "localhost:9000", "file:///tmp/x"} {
		if _, err := devissuer.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestKeyFilePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "key.pem")
	first, url := serve(t, func(url string) (*devissuer.Issuer, error) { return devissuer.NewWithKeyFile(url, path) })
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", info.Mode().Perm())
	}
	tok, err := first.Mint(devissuer.DevUsers()[0], "closeloop", time.Hour)
	if err != nil {
		t.Fatal(err)
	}

	// A "restarted" issuer on the same URL loads the key: old tokens still verify.
	second, err := devissuer.NewWithKeyFile(url, path)
	if err != nil {
		t.Fatal(err)
	}
	if second.KeyID() != first.KeyID() {
		t.Fatalf("key id changed across restart: %s → %s", first.KeyID(), second.KeyID())
	}
	srv := httptest.NewServer(second.Handler())
	t.Cleanup(srv.Close)
	var jwks jose.JSONWebKeySet
	getJSON(t, srv.URL+devissuer.JWKSPath, &jwks)
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var c jwt.Claims
	if err := parsed.Claims(jwks.Keys[0].Key, &c); err != nil || c.Subject != "rep-ana" {
		t.Fatalf("old token against restarted issuer's key: %v %+v", err, c)
	}

	// A fresh issuer without the file has a different key.
	fresh, err := devissuer.New(url)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.KeyID() == first.KeyID() {
		t.Error("two generated keys share a key id")
	}

	bad := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := devissuer.NewWithKeyFile(url, bad); err == nil {
		t.Error("a corrupt key file was accepted")
	}
}

// An ECDSA P-256 key file gives ES256 tokens that the OIDC verifier accepts.
func TestECDSAKeyFileWorksWithVerifier(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ec.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	iss, url := serve(t, func(url string) (*devissuer.Issuer, error) { return devissuer.NewWithKeyFile(url, path) })
	raw, err := iss.Mint(devissuer.DevUsers()[2], "closeloop", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256}); err != nil {
		t.Fatalf("not an ES256 token: %v", err)
	}
	v, err := auth.NewOIDCVerifier(context.Background(), url, "closeloop")
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(context.Background(), raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "mgr-mia" || !p.Has(auth.RoleManager) {
		t.Errorf("principal = %+v", p)
	}
}

func TestDevUsers(t *testing.T) {
	want := []struct {
		subject string
		role    auth.Role
		teams   []string
	}{
		{"rep-ana", auth.RoleRep, []string{"north"}},
		{"rep-bo", auth.RoleRep, []string{"south"}},
		{"mgr-mia", auth.RoleManager, []string{"north"}},
		{"analyst-ali", auth.RoleAnalyst, nil},
		{"admin-ada", auth.RoleAdmin, nil},
		{"rep-cy", auth.RoleRep, []string{"north"}},
		{"rep-di", auth.RoleRep, []string{"south"}},
		{"mgr-max", auth.RoleManager, []string{"south"}},
		{"svc-eli", auth.RoleRep, []string{"service"}},
		{"svc-fay", auth.RoleRep, []string{"service"}},
		{"mgr-gus", auth.RoleManager, []string{"service"}},
		{"mkt-ivy", auth.RoleRep, []string{"marketing"}},
		{"mgr-jo", auth.RoleManager, []string{"marketing"}},
	}
	users := devissuer.DevUsers()
	if len(users) != len(want) {
		t.Fatalf("%d dev users", len(users))
	}
	for i, w := range want {
		u := users[i]
		if u.Subject != w.subject || !slices.Equal(u.Roles, []auth.Role{w.role}) || !slices.Equal(u.Teams, w.teams) || u.Name == "" {
			t.Errorf("user %d = %+v, want %s/%s/%v", i, u, w.subject, w.role, w.teams)
		}
	}
	users[0].Subject = "changed"
	if devissuer.DevUsers()[0].Subject != "rep-ana" {
		t.Error("DevUsers returns shared state")
	}
}

// TestRepsAndAManagerPerTeam: the sales teams north and south and the service
// team have two reps and their manager each, the marketing team a marketer (a
// rep) and its manager, and no one is in another team; DevUser finds each user
// by id and names the known ones otherwise.
func TestRepsAndAManagerPerTeam(t *testing.T) {
	reps, managers := map[string]int{}, map[string]int{}
	for _, u := range devissuer.DevUsers() {
		for _, team := range u.Teams {
			switch {
			case u.Has(auth.RoleRep):
				reps[team]++
			case u.Has(auth.RoleManager):
				managers[team]++
			}
		}
		got, err := devissuer.DevUser(u.Subject)
		if err != nil || got.Subject != u.Subject || got.Name != u.Name {
			t.Errorf("DevUser(%s) = %+v, %v", u.Subject, got, err)
		}
	}
	want := map[string]int{"north": 2, "south": 2, "service": 2, "marketing": 1} // team → reps; one manager each
	for team, n := range want {
		if reps[team] != n || managers[team] != 1 {
			t.Errorf("team %s: %d reps, %d managers; want %d and 1", team, reps[team], managers[team], n)
		}
	}
	for team := range reps {
		if _, ok := want[team]; !ok {
			t.Errorf("unexpected team %s", team)
		}
	}
	for team := range managers {
		if _, ok := want[team]; !ok {
			t.Errorf("unexpected team %s", team)
		}
	}
	if _, err := devissuer.DevUser("rep-nobody"); err == nil || !strings.Contains(err.Error(), "rep-ana, rep-bo") {
		t.Errorf("unknown user: %v", err)
	}
}
