package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
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
	if err := restart(root, []string{"postgres"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "one of temporal, worker") {
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
// customer is ready; customer calling the followup API and sales the customer API.
func TestStackComponents(t *testing.T) {
	data := t.TempDir()
	cs := stackComponents(data)
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
		if addr, _ := envOf(c, "HTTP_ADDR"); addr != "127.0.0.1:"+strconv.Itoa(c.port) {
			t.Errorf("%s: HTTP_ADDR=%q, want 127.0.0.1:%d (where its /readyz is polled)", c.name, addr, c.port)
		}
		if url, ok := envOf(c, "DATABASE_URL"); ok {
			if want := "sqlite://" + filepath.Join(data, c.name+".db"); url != want {
				t.Errorf("%s: DATABASE_URL=%q, want %q", c.name, url, want)
			}
			if other, dup := dbs[url]; dup {
				t.Errorf("%s and %s share the database %s", c.name, other, url)
			}
			dbs[url] = c.name
		} else if c.name != "worker" {
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
	if !slices.Equal(fu.after, []string{"customer"}) {
		t.Errorf("followup starts after %v, want after customer (its customer look-ups need it)", fu.after)
	}
	calls := map[string]map[string]string{ // caller → variable → callee's URL
		"followup": {"CUSTOMER_API_URL": customerURL},
		"customer": {"FOLLOWUP_API_URL": followupURL},
		"sales":    {"CUSTOMER_API_URL": customerURL},
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
}

// TestMissingBinaries: `bin/devstack` says which binaries are not built instead
// of failing on the first exec.
func TestMissingBinaries(t *testing.T) {
	bin := t.TempDir()
	cs := stackComponents(t.TempDir())
	for _, name := range []string{"temporal", "worker", "customer", "sales", "service", "marketing"} {
		if err := os.WriteFile(filepath.Join(bin, name), nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if got := missingBinaries(bin, cs); !slices.Equal(got, []string{"bin/followup"}) {
		t.Errorf("missing %v, want [bin/followup]", got)
	}
	if err := os.WriteFile(filepath.Join(bin, "followup"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := missingBinaries(bin, cs); len(got) != 0 {
		t.Errorf("missing %v, want none", got)
	}
}

// TestBannerPointsAtFollowup: the banner lists the followup API, sends analysts
// and managers to it for policies, calendars and overdue follow-ups, names it
// among the restartable components, and reads the default business calendar
// from the followup service (as an admin), not from the customer service.
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
	if gotPath != "/v1/calendars" || !strings.HasPrefix(gotAuth, "Bearer ") {
		t.Errorf("calendars read at %q with %q, want GET /v1/calendars with a bearer token", gotPath, gotAuth)
	}
	for _, want := range []string{
		"followup API   http://127.0.0.1:8086/v1",
		"timer policies http://127.0.0.1:8086/v1/policies",
		"overdue        http://127.0.0.1:8086/v1/follow-ups/overdue",
		"customer API   http://127.0.0.1:8081/v1",
		"Default business calendar: standard (UTC, 0 holidays); installed: standard, cn-mainland",
		"(temporal, worker, customer, followup, sales, service, marketing)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "8081/v1/policies") || strings.Contains(out, "8081/v1/follow-ups") {
		t.Errorf("banner still sends policies or follow-ups to the customer service:\n%s", out)
	}
}
