package auth_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/auth"
)

// clock is a settable time source for verifiers built with NewOIDCVerifierAt.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newVerifierWith(t *testing.T, issuerURL string, opts auth.OIDCOptions, c *clock) *auth.OIDCVerifier {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	now := time.Now
	if c != nil {
		now = c.now
	}
	v, err := auth.NewOIDCVerifierAt(ctx, issuerURL, audience, opts, now)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestOptions: OIDC_ALLOWED_CLIENTS limits the clients (azp, else client_id)
// whose tokens are accepted, OIDC_MAX_TOKEN_LIFETIME and OIDC_CLOCK_SKEW move
// the time limits.
func TestOptions(t *testing.T) {
	ki := newKeyIssuer(t)
	ki.addKey("k1", true)
	opts := auth.DefaultOIDCOptions()
	opts.AllowedClients = []string{"web", " cli "}
	opts.MaxTokenLifetime = time.Hour
	opts.ClockSkew = 5 * time.Second
	v := newVerifierWith(t, ki.url, opts, nil)
	now := time.Now()
	cases := []struct {
		name   string
		edits  map[string]any
		reason string
	}{
		{"azp allowed", map[string]any{"azp": "web"}, "accepted"},
		{"azp allowed (trimmed)", map[string]any{"azp": "cli"}, "accepted"},
		{"client_id allowed (RFC 9068)", map[string]any{"client_id": "web"}, "accepted"},
		{"azp wins over client_id", map[string]any{"azp": "evil", "client_id": "web"}, "client_not_allowed"},
		{"azp not allowed", map[string]any{"azp": "evil"}, "client_not_allowed"},
		{"no client", nil, "client_not_allowed"},
		{"several audiences, allowed azp", map[string]any{"aud": []string{audience, "account"}, "azp": "web"}, "accepted"},
		{"several audiences, allowed client_id only", map[string]any{"aud": []string{audience, "account"}, "client_id": "web"}, "azp_missing"},
		{"1-hour token", map[string]any{"azp": "web", "exp": now.Add(time.Hour).Unix()}, "accepted"},
		{"2-hour token", map[string]any{"azp": "web", "exp": now.Add(2 * time.Hour).Unix()}, "lifetime_too_long"},
		{"iat 30 s ahead, skew 5 s", map[string]any{"azp": "web", "iat": now.Add(30 * time.Second).Unix()}, "issued_in_future"},
		{"nbf 30 s ahead, skew 5 s", map[string]any{"azp": "web", "nbf": now.Add(30 * time.Second).Unix()}, "not_yet_valid"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := reasonOf(verify(v, ki.sign("k1", "", false, ki.claims(now, c.edits)))); got != c.reason {
				t.Errorf("got %s, want %s", got, c.reason)
			}
		})
	}
}

func TestOptionsAreValidated(t *testing.T) {
	for name, edit := range map[string]func(*auth.OIDCOptions){
		"negative lifetime":   func(o *auth.OIDCOptions) { o.MaxTokenLifetime = -time.Hour },
		"negative skew":       func(o *auth.OIDCOptions) { o.ClockSkew = -time.Second },
		"min above max":       func(o *auth.OIDCOptions) { o.JWKSMinRefresh, o.JWKSMaxRefresh = time.Hour, time.Minute },
		"negative min wait":   func(o *auth.OIDCOptions) { o.JWKSMinRefresh = -time.Second },
		"http issuer address": func(o *auth.OIDCOptions) { o.AllowInsecureIssuer = false },
	} {
		opts := auth.DefaultOIDCOptions()
		edit(&opts)
		url := "http://127.0.0.1:1"
		if name == "http issuer address" {
			url = "http://issuer.example"
		}
		if _, err := auth.NewOIDCVerifierWith(context.Background(), url, audience, opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Zero durations (a Config built in Go) take the defaults.
	if _, err := auth.NewOIDCVerifierWith(context.Background(), "http://127.0.0.1:1", audience, auth.OIDCOptions{}); err != nil {
		t.Errorf("zero options: %v", err)
	}
}

// TestInsecureIssuer: an http:// issuer is refused unless it is on a loopback
// address or OIDC_ALLOW_INSECURE_ISSUER is set.
func TestInsecureIssuer(t *testing.T) {
	cases := []struct {
		url           string
		allowInsecure bool
		ok            bool
	}{
		{"https://login.example.com/realms/closeloop", false, true},
		{"http://login.example.com/realms/closeloop", false, false},
		{"http://dex.auth.svc:5556/dex", false, false},
		{"http://dex.auth.svc:5556/dex", true, true},
		{"http://10.0.0.7:8080", false, false},
		{"http://127.0.0.1:8089", false, true},
		{"http://127.1.2.3:8089", false, true},
		{"http://localhost:8089", false, true},
		{"http://LOCALHOST", false, true},
		{"http://[::1]:8089", false, true},
		{"http://localhost.evil.example", false, false},
		{"http://127.0.0.1.nip.io", false, false},
		{"ftp://login.example.com", true, false},
		{"login.example.com", true, false},
		{"", true, false},
	}
	for _, c := range cases {
		err := auth.CheckIssuerURL(c.url, c.allowInsecure)
		if (err == nil) != c.ok {
			t.Errorf("CheckIssuerURL(%q, %v) = %v, want ok=%v", c.url, c.allowInsecure, err, c.ok)
		}
		opts := auth.DefaultOIDCOptions()
		opts.AllowInsecureIssuer = c.allowInsecure
		if _, err2 := auth.NewOIDCVerifierWith(context.Background(), c.url, audience, opts); (err2 == nil) != c.ok {
			t.Errorf("NewOIDCVerifierWith(%q, insecure=%v) = %v, want ok=%v", c.url, c.allowInsecure, err2, c.ok)
		}
	}
	err := auth.CheckIssuerURL("http://dex.auth.svc:5556/dex", false)
	if err == nil || !strings.Contains(err.Error(), "OIDC_ALLOW_INSECURE_ISSUER=true") {
		t.Errorf("the refusal must say how to allow it: %v", err)
	}
}

// TestRefusalsAreLoggedWithoutTheToken: the middleware answers every refusal
// with 401, code unauthenticated and details.reason, and logs the reason and
// its cause at info (a missing header at debug), never the token.
func TestRefusalsAreLoggedWithoutTheToken(t *testing.T) {
	ki := newKeyIssuer(t)
	ki.addKey("k1", true)
	a := newAPI(newVerifier(t, ki.url))
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	t.Cleanup(func() { slog.SetDefault(prev) })

	tokens := map[string]string{
		"not_an_access_token": ki.sign("k1", "", false, ki.claims(time.Now(), map[string]any{"typ": "ID"})),
		"lifetime_too_long":   ki.sign("k1", "", false, ki.claims(time.Now(), map[string]any{"exp": time.Now().Add(48 * time.Hour).Unix()})),
		"unknown_key":         ki.sign("forged", "", false, ki.claims(time.Now(), nil)),
		"malformed":           "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.SECRETSIG",
	}
	for reason, tok := range tokens {
		r := a.do(t, "GET", "/v1/me", "Bearer "+tok)
		if r.status != http.StatusUnauthorized || r.body["code"] != "unauthenticated" || r.body["reason"] != reason {
			t.Errorf("%s: %d %s", reason, r.status, r.raw)
		}
	}
	if r := a.do(t, "GET", "/v1/me", ""); r.status != http.StatusUnauthorized || r.body["reason"] != "token_missing" {
		t.Errorf("no header: %d %s", r.status, r.raw)
	}
	logged := buf.String()
	for reason, tok := range tokens {
		if !strings.Contains(logged, `"reason":"`+reason+`"`) {
			t.Errorf("no log line with reason %s in:\n%s", reason, logged)
		}
		for part := range strings.SplitSeq(tok, ".") {
			if len(part) > 8 && strings.Contains(logged, part) {
				t.Errorf("the log holds part of the %s token:\n%s", reason, logged)
			}
		}
	}
	if strings.Count(logged, "bearer token refused") != len(tokens) {
		t.Errorf("want %d info lines (the missing header is debug):\n%s", len(tokens), logged)
	}
}
