package stacktest

import (
	"net/http/httptest"
	"testing"

	"github.com/closeloop/closeloop/platform/auth/devissuer"
)

// StartIssuer serves a dev OIDC issuer on a local test server for the
// test's lifetime and returns it with its URL (the issuer URL must match
// the server it is served from, so the listener comes first).
func StartIssuer(t testing.TB) (*devissuer.Issuer, string) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuerURL := "http://" + srv.Listener.Addr().String()
	iss, err := devissuer.New(issuerURL)
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = iss.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return iss, issuerURL
}
