package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	if err := restart(root, []string{"worker"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "not running under `make run`") {
		t.Errorf("no pid file: %v", err)
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
