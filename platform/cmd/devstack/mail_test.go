package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// The stack's mail: Mailpit supervised beside the services, and the dev
// users' notification addresses seeded at start.

// TestMailpitCatchesTheMail: Mailpit is supervised like the rest, started
// before followup, with SMTP on 127.0.0.1:1025 (checked free and waited for),
// its API on 127.0.0.1:8025 (/readyz polled there) and its database in the
// stack's data directory; it gets none of the stack's settings, nor the
// developer's MP_* variables. followup sends its email there in clear text
// (loopback), from a .localhost sender, with links to the console, and may
// send webhooks to this machine over http.
func TestMailpitCatchesTheMail(t *testing.T) {
	data := t.TempDir()
	cs := stackComponents(data, devKeys{webSession: "k", unsubscribe: "u"})
	byName := map[string]component{}
	for _, c := range cs {
		byName[c.name] = c
	}
	mp, ok := byName["mailpit"]
	if !ok {
		t.Fatal("no mailpit component")
	}
	if i, j := slices.Index(componentNames, "mailpit"), slices.Index(componentNames, "followup"); i < 0 || i > j {
		t.Errorf("componentNames %v: mailpit must start before followup", componentNames)
	}
	if mp.port != 8025 || !slices.Equal(mp.alsoListens, []int{1025}) || mailURL != "http://127.0.0.1:8025" {
		t.Errorf("mailpit on %d and %v (API %s), want the API on 8025 and SMTP on 1025", mp.port, mp.alsoListens, mailURL)
	}
	args := strings.Join(mp.args, " ")
	for _, want := range []string{"--smtp 127.0.0.1:1025", "--listen 127.0.0.1:8025",
		"--database " + filepath.Join(data, "mailpit.db"), "--smtp-auth-allow-insecure", "--disable-version-check"} {
		if !strings.Contains(args, want) {
			t.Errorf("mailpit args %q lack %q", args, want)
		}
	}
	if !mp.thirdParty || mp.dropEnv != "MP_" || len(mp.env) != 0 || len(mp.after) != 0 {
		t.Errorf("mailpit: thirdParty=%v dropEnv=%q env=%v after=%v; want a third-party binary without the stack's settings or MP_* variables, started at once",
			mp.thirdParty, mp.dropEnv, mp.env, mp.after)
	}
	for _, p := range []int{1025, 8025} {
		if !slices.Contains(stackPorts(cs), p) {
			t.Errorf("port %d is not checked before starting", p)
		}
	}
	for name, want := range map[string]string{
		"SMTP_HOST":             "127.0.0.1",
		"SMTP_PORT":             "1025",
		"SMTP_TLS":              "none",
		"SMTP_FROM":             "Closeloop <closeloop@closeloop.localhost>",
		"CONSOLE_URL":           "http://127.0.0.1:8080",
		"WEBHOOK_ALLOW_PRIVATE": "true",
		"WEBHOOK_ALLOW_HTTP":    "true",
	} {
		if got, _ := envOf(byName["followup"], name); got != want {
			t.Errorf("followup: %s=%q, want %q", name, got, want)
		}
	}
	for _, c := range cs {
		if _, ok := envOf(c, "SMTP_HOST"); ok && c.name != "followup" && c.name != "service" {
			t.Errorf("%s is given SMTP_HOST; only followup and service (surveys) send email", c.name)
		}
	}
	if got, _ := envOf(byName["service"], "SURVEY_PUBLIC_BASE_URL"); got != "http://127.0.0.1:8083" {
		t.Errorf("service: SURVEY_PUBLIC_BASE_URL=%q, want its own address (survey links in Mailpit open there)", got)
	}

	t.Setenv("MP_SMTP_AUTH", "someone:secret")
	t.Setenv("CLOSELOOP_DEVSTACK_TEST", "kept")
	env := inheritedEnv("MP_")
	if slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "MP_") }) || !slices.Contains(env, "CLOSELOOP_DEVSTACK_TEST=kept") {
		t.Errorf("mailpit's environment: MP_* variables must go, the rest stay")
	}
	if !slices.Contains(inheritedEnv(""), "MP_SMTP_AUTH=someone:secret") {
		t.Error("the other components' environment lost a variable")
	}
}

// prefsServer is the followup service's notification preferences for the
// seeding test: per user (the token's subject) a document, as GET returns it;
// PUT replaces it and is recorded.
type prefsServer struct {
	docs  map[string]map[string]any
	puts  map[string]map[string]any
	fail  string // the user whose PUT is refused
	calls int
}

func (p *prefsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.calls++
	if r.URL.Path != "/v1/me/notification-preferences" {
		http.NotFound(w, r)
		return
	}
	sub, ok := tokenSubject(r.Header.Get("Authorization"))
	if !ok {
		http.Error(w, "no token", http.StatusUnauthorized)
		return
	}
	switch r.Method {
	case http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p.docs[sub])
	case http.MethodPut:
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "content type", http.StatusUnsupportedMediaType)
			return
		}
		if sub == p.fail {
			http.Error(w, `{"error":"validation"}`, http.StatusUnprocessableEntity)
			return
		}
		var doc map[string]any
		if err := json.NewDecoder(r.Body).Decode(&doc); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p.puts[sub] = doc
		p.docs[sub] = doc
		_ = json.NewEncoder(w).Encode(doc)
	default:
		http.Error(w, "method", http.StatusMethodNotAllowed)
	}
}

// tokenSubject reads the sub claim of a bearer token (unverified: the test's
// own issuer minted it).
func tokenSubject(header string) (string, bool) {
	parts := strings.Split(strings.TrimPrefix(header, "Bearer "), ".")
	if len(parts) != 3 {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	return claims.Sub, json.Unmarshal(raw, &claims) == nil && claims.Sub != ""
}

// TestSeedNotificationEmails: every dev user without a notification email
// gets <user>@closeloop.localhost, set as that user, with the rest of their
// preferences sent back unchanged (fields this code does not know included);
// a user with an address keeps it; a second run changes nothing; one refusal
// is reported and the others are still set.
func TestSeedNotificationEmails(t *testing.T) {
	iss, err := devissuer.NewWithKeyFile("http://127.0.0.1:8089", filepath.Join(t.TempDir(), "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ps := &prefsServer{docs: map[string]map[string]any{}, puts: map[string]map[string]any{}}
	for _, u := range devissuer.DevUsers() {
		ps.docs[u.Subject] = map[string]any{"language": "en", "time_zone": "UTC", "email": "",
			"email_kinds": []any{"reminder", "escalation", "handover", "winback"}, "quiet_hours": nil, "digest_hour": nil, "default": true}
	}
	chosen := map[string]any{"language": "zh-Hans", "time_zone": "Asia/Shanghai", "email": "",
		"email_kinds": []any{"escalation"}, "quiet_hours": map[string]any{"from": "22:00", "to": "07:00"}, "digest_hour": 9.0,
		"default": false, "updated_at": "2025-01-02T03:04:05Z", "a_later_field": "kept"}
	ps.docs["mgr-mia"] = chosen
	ps.docs["rep-bo"] = map[string]any{"language": "en", "time_zone": "UTC", "email": "bo@example.com",
		"email_kinds": []any{}, "quiet_hours": nil, "digest_hour": nil, "default": false}
	srv := httptest.NewServer(ps)
	defer srv.Close()

	seeded, err := seedNotificationEmails(context.Background(), iss, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, u := range devissuer.DevUsers() {
		if u.Subject != "rep-bo" {
			want = append(want, u.Subject)
		}
	}
	if !slices.Equal(seeded, want) {
		t.Errorf("seeded %v, want %v", seeded, want)
	}
	if _, put := ps.puts["rep-bo"]; put {
		t.Errorf("rep-bo already had an address, yet got %v", ps.puts["rep-bo"])
	}
	if got := ps.docs["rep-bo"]["email"]; got != "bo@example.com" {
		t.Errorf("rep-bo's address became %v", got)
	}
	for _, name := range want {
		got := ps.puts[name]
		if got["email"] != name+"@closeloop.localhost" {
			t.Errorf("%s: email %v, want %s@closeloop.localhost", name, got["email"], name)
		}
	}
	mia := ps.puts["mgr-mia"]
	for k, v := range chosen {
		if k == "email" {
			continue
		}
		if gb, _ := json.Marshal(mia[k]); string(gb) != mustJSON(t, v) {
			t.Errorf("mgr-mia's %s became %s, want %s kept", k, gb, mustJSON(t, v))
		}
	}

	// A restart: everyone has an address now, nothing is written.
	before := len(ps.puts)
	ps.puts = map[string]map[string]any{}
	seeded, err = seedNotificationEmails(context.Background(), iss, srv.URL)
	if err != nil || len(seeded) != 0 || len(ps.puts) != 0 {
		t.Errorf("second run: seeded %v, %d PUTs (of %d the first time), %v; want nothing", seeded, len(ps.puts), before, err)
	}

	// One refusal: reported with the user and the answer, the others still set.
	for _, u := range devissuer.DevUsers() {
		ps.docs[u.Subject]["email"] = ""
	}
	ps.fail = "rep-cy"
	seeded, err = seedNotificationEmails(context.Background(), iss, srv.URL)
	if err == nil || !strings.Contains(err.Error(), "rep-cy") || !strings.Contains(err.Error(), "422") {
		t.Errorf("a refused PUT: %v, want an error naming rep-cy and the 422", err)
	}
	if len(seeded) != len(devissuer.DevUsers())-1 || slices.Contains(seeded, "rep-cy") {
		t.Errorf("with rep-cy refused, seeded %v; want every other user", seeded)
	}

	// No followup service: an error, not a hang or a panic.
	srv.Close()
	if _, err := seedNotificationEmails(context.Background(), iss, srv.URL); err == nil {
		t.Error("no followup service: no error")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
