package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// TestTokenForAnyDevUser: `devstack token <user>` signs with the key file the
// running stack's issuer serves, so a verifier of that issuer accepts the token
// with the user's roles and teams, for every dev user; without a user it lists
// them; an unknown user is refused with the list.
func TestTokenForAnyDevUser(t *testing.T) {
	root := t.TempDir()
	var list bytes.Buffer
	if err := token(root, nil, &list); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	// The stack's issuer, started first, creates the key file.
	iss, err := devissuer.NewWithKeyFile(url, filepath.Join(root, ".data", "dev-issuer-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	defer srv.Close()
	v, err := auth.NewOIDCVerifier(context.Background(), url, "closeloop")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range devissuer.DevUsers() {
		if !strings.Contains(list.String(), u.Subject) {
			t.Errorf("list lacks %s:\n%s", u.Subject, list.String())
		}
		raw, err := mintToken(root, url, u.Subject)
		if err != nil {
			t.Fatalf("token %s: %v", u.Subject, err)
		}
		p, err := v.Verify(context.Background(), raw)
		if err != nil {
			t.Fatalf("token for %s refused: %v", u.Subject, err)
		}
		if p.Subject != u.Subject || strings.Join(p.Teams, ",") != strings.Join(u.Teams, ",") || !p.Has(u.Roles[0]) {
			t.Errorf("token for %s carries %+v", u.Subject, p)
		}
	}
	if err := token(root, []string{"rep-zed"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "known: rep-ana") {
		t.Errorf("unknown user: %v", err)
	}
}

// TestRestartRefusesStrangers: restart names only supervised components and
// never signals a process that is not the component's binary (a stale pid file).
func TestRestartRefusesStrangers(t *testing.T) {
	root := t.TempDir()
	if err := restart(root, []string{"postgres"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "one of temporal, mailpit, worker") {
		t.Errorf("unknown component: %v", err)
	}
	for _, name := range []string{"worker", "followup"} {
		if err := restart(root, []string{name}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "not running under `make run`") {
			t.Errorf("%s, no pid file: %v", name, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(root, ".data", "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	// This test process is alive but is not bin/worker: it must not be signalled.
	if err := os.WriteFile(pidFile(root, "worker"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := restart(root, []string{"worker"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "is not running") {
		t.Errorf("stale pid file: %v", err)
	}
}

// envOf returns the value of one variable in a component's environment.
func envOf(c component, name string) (string, bool) {
	for _, e := range c.env {
		if k, v, ok := strings.Cut(e, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// TestStackComponents: every supervised component but Temporal is started, in
// the order componentNames gives, each on a port of its own that `make run`
// checks before starting; each service on its own SQLite database; followup (the
// follow-up engine) on 8086, calling the customer API and started only once
// customer is ready; customer calling the followup API and sales the customer
// API; the web console on 8080, last, once the three APIs it calls are ready.
func TestStackComponents(t *testing.T) {
	data := t.TempDir()
	cs := stackComponents(data, devKeys{webSession: "the-session-key", unsubscribe: "the-unsubscribe-key", salesClient: "the-sales-secret"})
	if got := append([]string{"temporal"}, names(cs)...); !slices.Equal(got, componentNames) {
		t.Errorf("started %v, want componentNames %v", got, componentNames)
	}
	byName := map[string]component{}
	ports := map[int]string{}
	dbs := map[string]string{}
	checked := stackPorts(cs)
	for _, c := range cs {
		byName[c.name] = c
		if other, dup := ports[c.port]; dup {
			t.Errorf("%s and %s both on port %d", c.name, other, c.port)
		}
		ports[c.port] = c.name
		if !slices.Contains(checked, c.port) {
			t.Errorf("%s: port %d is not checked before starting", c.name, c.port)
		}
		for _, p := range c.alsoListens {
			if !slices.Contains(checked, p) {
				t.Errorf("%s: port %d is not checked before starting", c.name, p)
			}
			if other, dup := ports[p]; dup {
				t.Errorf("%s and %s both on port %d", c.name, other, p)
			}
			ports[p] = c.name
		}
		if c.thirdParty {
			if i := slices.Index(c.args, "--listen"); i < 0 || i+1 == len(c.args) || c.args[i+1] != "127.0.0.1:"+strconv.Itoa(c.port) {
				t.Errorf("%s: args %v, want --listen 127.0.0.1:%d (where its /readyz is polled)", c.name, c.args, c.port)
			}
		} else if addr, _ := envOf(c, "HTTP_ADDR"); addr != "127.0.0.1:"+strconv.Itoa(c.port) {
			t.Errorf("%s: HTTP_ADDR=%q, want 127.0.0.1:%d (where its /readyz is polled)", c.name, addr, c.port)
		}
		// Metrics on a port of their own (checked free and unique above).
		if mp := c.port + 1000; !c.thirdParty {
			if addr, _ := envOf(c, "METRICS_ADDR"); addr != "127.0.0.1:"+strconv.Itoa(mp) || !slices.Contains(c.alsoListens, mp) {
				t.Errorf("%s: METRICS_ADDR=%q (listens also on %v), want 127.0.0.1:%d", c.name, addr, c.alsoListens, mp)
			}
		}
		if url, ok := envOf(c, "DATABASE_URL"); ok {
			if want := "sqlite://" + filepath.Join(data, c.name+".db"); url != want {
				t.Errorf("%s: DATABASE_URL=%q, want %q", c.name, url, want)
			}
			if other, dup := dbs[url]; dup {
				t.Errorf("%s and %s share the database %s", c.name, other, url)
			}
			dbs[url] = c.name
		} else if c.name != "worker" && c.name != "web" && !c.thirdParty {
			t.Errorf("%s: no DATABASE_URL", c.name)
		}
		for _, dep := range c.after {
			if i, j := slices.Index(componentNames, dep), slices.Index(componentNames, c.name); i < 0 || i > j {
				t.Errorf("%s waits for %s, which is not started before it", c.name, dep)
			}
		}
	}
	for _, p := range []int{temporalPort, uiPort, issuerPort} {
		if !slices.Contains(checked, p) {
			t.Errorf("port %d is not checked before starting", p)
		}
	}

	fu, ok := byName["followup"]
	if !ok {
		t.Fatal("no followup component")
	}
	if fu.port != 8086 || followupURL != "http://127.0.0.1:8086" {
		t.Errorf("followup on port %d (URL %s), want 8086", fu.port, followupURL)
	}
	if !slices.Equal(fu.after, []string{"customer", "mailpit"}) {
		t.Errorf("followup starts after %v, want after customer (its customer look-ups need it) and mailpit (its emails go there)", fu.after)
	}
	calls := map[string]map[string]string{ // caller → variable → callee's URL
		"followup": {"CUSTOMER_API_URL": customerURL, "SERVICE_CALLERS": "closeloop-sales"},
		"customer": {"FOLLOWUP_API_URL": followupURL, "SERVICE_CALLERS": "closeloop-sales"},
		// The sales service calls both as itself (a new lead's local
		// activities), with its client at the dev issuer.
		"sales": {"CUSTOMER_API_URL": customerURL, "FOLLOWUP_API_URL": followupURL,
			"SERVICE_CLIENT_ID": "closeloop-sales", "SERVICE_CLIENT_SECRET": "the-sales-secret"},
		"service": {"CUSTOMER_API_URL": customerURL},
		// Campaign e-mails' unsubscribe links lead to the marketing service.
		"marketing": {"UNSUBSCRIBE_PUBLIC_BASE_URL": marketingURL, "UNSUBSCRIBE_KEY": "the-unsubscribe-key"},
		"web": {"CUSTOMER_API_URL": customerURL, "FOLLOWUP_API_URL": followupURL, "SALES_API_URL": salesURL,
			"SERVICE_API_URL": serviceURL, "MARKETING_API_URL": marketingURL},
	}
	for caller, vars := range calls {
		for name, want := range vars {
			if got, _ := envOf(byName[caller], name); got != want {
				t.Errorf("%s: %s=%q, want %q", caller, name, got, want)
			}
		}
	}
	if byName["customer"].port != customerPort || customerURL != "http://127.0.0.1:"+strconv.Itoa(customerPort) {
		t.Errorf("customer on port %d, but the others call %s", byName["customer"].port, customerURL)
	}
	if byName["followup"].port != followupPort || followupURL != "http://127.0.0.1:"+strconv.Itoa(followupPort) {
		t.Errorf("followup on port %d, but the others call %s", byName["followup"].port, followupURL)
	}
	if byName["service"].port != servicePort || serviceURL != "http://127.0.0.1:"+strconv.Itoa(servicePort) {
		t.Errorf("service on port %d, but the console calls %s", byName["service"].port, serviceURL)
	}
	if byName["marketing"].port != marketingPort || marketingURL != "http://127.0.0.1:"+strconv.Itoa(marketingPort) {
		t.Errorf("marketing on port %d, but the console calls %s", byName["marketing"].port, marketingURL)
	}
	if byName["sales"].port != 8082 || salesURL != "http://127.0.0.1:8082" {
		t.Errorf("sales on port %d, but the console calls %s", byName["sales"].port, salesURL)
	}

	web, ok := byName["web"]
	if !ok {
		t.Fatal("no web component")
	}
	if web.port != 8080 || componentNames[len(componentNames)-1] != "web" {
		t.Errorf("web on port %d, at %d of %v; want 8080, started last", web.port, slices.Index(componentNames, "web"), componentNames)
	}
	if !slices.Equal(web.after, []string{"customer", "followup", "sales", "service", "marketing"}) {
		t.Errorf("web starts after %v, want after the APIs it calls", web.after)
	}
	for name, want := range map[string]string{
		"WEB_PUBLIC_URL":        "http://127.0.0.1:8080",
		"WEB_OIDC_CLIENT_ID":    "closeloop-web",
		"WEB_SESSION_KEY":       "the-session-key",
		"TEMPORAL_UI_URL":       "http://127.0.0.1:8233",
		"WEB_DEFAULT_TIME_ZONE": "Asia/Shanghai",
	} {
		if got, _ := envOf(web, name); got != want {
			t.Errorf("web: %s=%q, want %q", name, got, want)
		}
	}
	if webRedirectURI != webURL+"/auth/callback" {
		t.Errorf("the dev issuer registers %s, but the console redirects to %s/auth/callback", webRedirectURI, webURL)
	}
}

// TestDepartmentsOfTheDevUsers: the service component is told DEPARTMENTS in
// the form it (and the chart, from departments.*) uses — department=team,team;…
// with sales, service and marketing once each and a team in one department —
// as sales=north,south, service=service and marketing=marketing; every team a
// dev user is in belongs to a department, every team of a department has dev
// users in it, and every department has a rep and a manager to sign in as.
func TestDepartmentsOfTheDevUsers(t *testing.T) {
	var service component
	for _, c := range stackComponents(t.TempDir(), devKeys{webSession: "k", unsubscribe: "u"}) {
		if c.name == "service" {
			service = c
		}
	}
	raw, ok := envOf(service, "DEPARTMENTS")
	if !ok || raw != "sales=north,south;service=service;marketing=marketing" {
		t.Fatalf("service: DEPARTMENTS=%q (set: %v), want sales=north,south;service=service;marketing=marketing", raw, ok)
	}
	deptOf := map[string]string{} // team → department
	var depts []string
	for _, part := range strings.Split(raw, ";") {
		dept, list, ok := strings.Cut(part, "=")
		if !ok || !slices.Contains([]string{"sales", "service", "marketing"}, dept) || slices.Contains(depts, dept) || list == "" {
			t.Fatalf("DEPARTMENTS part %q: want sales, service or marketing, once, with its teams", part)
		}
		depts = append(depts, dept)
		for _, team := range strings.Split(list, ",") {
			if other, dup := deptOf[team]; dup || team == "" {
				t.Errorf("team %q in %s and %s", team, other, dept)
			}
			deptOf[team] = dept
		}
	}
	if len(depts) != 3 {
		t.Errorf("departments %v, want sales, service and marketing", depts)
	}
	peopled := map[string]bool{}                         // team → has a dev user
	reps, managers := map[string]int{}, map[string]int{} // department → people
	for _, u := range devissuer.DevUsers() {
		for _, team := range u.Teams {
			dept, ok := deptOf[team]
			if !ok {
				t.Errorf("%s is in team %s, which is in no department", u.Subject, team)
			}
			peopled[team] = true
			if u.Has(auth.RoleRep) {
				reps[dept]++
			}
			if u.Has(auth.RoleManager) {
				managers[dept]++
			}
		}
	}
	for team, dept := range deptOf {
		if !peopled[team] {
			t.Errorf("team %s (%s) has no dev user", team, dept)
		}
	}
	for _, dept := range depts {
		if reps[dept] == 0 || managers[dept] == 0 {
			t.Errorf("department %s: %d reps, %d managers among the dev users; want at least one of each", dept, reps[dept], managers[dept])
		}
	}
}

// TestSessionKeyKeptInData: the console's session key is made once (base64 of 32
// random bytes, readable by the owner only) and read back on every later start,
// so sessions survive a restart; a damaged file is reported, not replaced.
func TestSessionKeyKeptInData(t *testing.T) {
	data := t.TempDir()
	first, err := sessionKey(data)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := base64.StdEncoding.DecodeString(first); err != nil || len(b) != 32 {
		t.Errorf("key %q is not the base64 of 32 bytes (%v)", first, err)
	}
	path := filepath.Join(data, "web-session-key")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
	}
	again, err := sessionKey(data)
	if err != nil || again != first {
		t.Errorf("second start: %q, %v; want the same key %q", again, err, first)
	}
	other, err := sessionKey(t.TempDir())
	if err != nil || other == first {
		t.Errorf("another .data: %q, %v; want a fresh key", other, err)
	}
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sessionKey(data); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Errorf("damaged key file: %v", err)
	}
	if raw, _ := os.ReadFile(path); string(raw) != "not a key\n" {
		t.Errorf("the damaged file was overwritten: %q", raw)
	}
}

// TestDevIssuerSignsInTheConsole: the stack's issuer shows its sign-in page to
// the console (its client id and redirect URI) and refuses any other redirect
// URI for it; the sales service's client gets its own token with the
// stack's secret for it.
func TestDevIssuerSignsInTheConsole(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	iss, err := newDevIssuer(url, filepath.Join(t.TempDir(), "key.pem"), devKeys{salesClient: "the-sales-client-secret"})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	defer srv.Close()
	sum := sha256.Sum256([]byte("a-code-verifier-of-the-console-long-enough-for-pkce"))
	authorize := func(redirect string) (int, string) {
		q := neturl.Values{"response_type": {"code"}, "client_id": {"closeloop-web"}, "redirect_uri": {redirect},
			"scope": {"openid"}, "state": {"s"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
			"code_challenge_method": {"S256"}}
		c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(url + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := authorize("http://127.0.0.1:8080/auth/callback"); code != http.StatusOK || !strings.Contains(body, "rep-ana") {
		t.Errorf("the console's sign-in: %d\n%s", code, body)
	}
	if code, body := authorize("http://127.0.0.1:9999/auth/callback"); code != http.StatusBadRequest || !strings.Contains(body, "not registered") {
		t.Errorf("another redirect URI: %d\n%s", code, body)
	}
	// The sales service gets its own token with its secret, and only with it.
	token := func(secret string) int {
		form := neturl.Values{"grant_type": {"client_credentials"}, "client_id": {"closeloop-sales"}, "client_secret": {secret}}
		resp, err := http.PostForm(url+"/token", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := token("the-sales-client-secret"); code != http.StatusOK {
		t.Errorf("the sales service's token: %d", code)
	}
	if code := token("another-secret-of-some-length"); code == http.StatusOK {
		t.Error("the sales service's client took another secret")
	}
}

// TestMissingBinaries: `bin/devstack` says which binaries are not built instead
// of failing on the first exec.
func TestMissingBinaries(t *testing.T) {
	bin := t.TempDir()
	cs := stackComponents(t.TempDir(), devKeys{webSession: "k", unsubscribe: "u"})
	for _, name := range []string{"temporal", "worker", "customer", "sales", "service", "marketing", "web"} {
		if err := os.WriteFile(filepath.Join(bin, name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got := missingBinaries(bin, cs); !slices.Equal(got, []string{"bin/mailpit", "bin/followup"}) {
		t.Errorf("missing %v, want [bin/mailpit bin/followup]", got)
	}
	for _, name := range []string{"mailpit", "followup"} {
		if err := os.WriteFile(filepath.Join(bin, name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got := missingBinaries(bin, cs); len(got) != 0 {
		t.Errorf("missing %v, want none", got)
	}
}

// TestBannerPointsAtFollowup: the banner opens with the web console's URL, lists
// the followup API, sends analysts and managers to it for policies, calendars and
// overdue follow-ups, names it and the console among the restartable components,
// reads the default business calendar from the followup service (as an
// admin), not from the customer service, and says where the caught mail is read.
func TestBannerPointsAtFollowup(t *testing.T) {
	var gotPath, gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotAuth = r.URL.Path, r.Header.Get("Authorization")
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[{"name":"standard","time_zone":"UTC","holidays":[],"default":true},` +
			`{"name":"cn-mainland","time_zone":"Asia/Shanghai","holidays":[{},{}],"default":false}]}`))
	}))
	defer srv.Close()
	iss, err := devissuer.NewWithKeyFile("http://127.0.0.1:8089", filepath.Join(t.TempDir(), "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := banner(iss, "/tmp/logs", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(strings.TrimLeft(out, "\n"), "\n", 2)[0]; first != "Open the console: http://127.0.0.1:8080 — sign in as any dev user" {
		t.Errorf("the banner opens with %q, want the console's URL first", first)
	}
	if gotPath != "/v1/calendars" || !strings.HasPrefix(gotAuth, "Bearer ") {
		t.Errorf("calendars read at %q with %q, want GET /v1/calendars with a bearer token", gotPath, gotAuth)
	}
	for _, want := range []string{
		"followup API   http://127.0.0.1:8086/v1",
		"timer policies http://127.0.0.1:8086/v1/policies",
		"overdue        http://127.0.0.1:8086/v1/follow-ups/overdue",
		"customer API   http://127.0.0.1:8081/v1",
		"Default business calendar: standard (UTC, 0 holidays); installed: standard, cn-mainland",
		"web console    http://127.0.0.1:8080",
		"(temporal, mailpit, worker, customer, followup, sales, service, marketing, web)",
		"\nMail (every email the stack sends is caught here): http://127.0.0.1:8025/api/v1/messages  (Mailpit REST API; its web page is not part of the Go build)\n",
		"SMTP           127.0.0.1:1025   (Mailpit",
		"metrics        http://127.0.0.1:9081/metrics   (each component on its HTTP port + 1000: web 9080 … followup 9086",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "8081/v1/policies") || strings.Contains(out, "8081/v1/follow-ups") {
		t.Errorf("banner still sends policies or follow-ups to the customer service:\n%s", out)
	}
}
