package webhook

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
)

var (
	production = Policy{}
	httpOK     = Policy{AllowHTTP: true}
	privateOK  = Policy{AllowPrivate: true}
	devPolicy  = Policy{AllowPrivate: true, AllowHTTP: true}
)

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url    string
		policy Policy
		code   string // "" means accepted
		says   string // part of the message, when refused
	}{
		{"https://hooks.slack.com/services/T0/B0/XYZ", production, "", ""},
		{"https://example.com:8443/hook?team=sales", production, "", ""},
		{"HTTPS://Example.COM./hook", production, "", ""},
		{"https://xn--bcher-kva.example/hook", production, "", ""},
		{"https://8.8.8.8/hook", production, "", ""},
		{"https://[2606:4700:4700::1111]/hook", production, "", ""},
		{"https://[64:ff9b::808:808]/hook", production, "", ""}, // NAT64 form of 8.8.8.8

		{"http://example.com/hook", production, CodeNotHTTPS, "https"},
		{"http://example.com/hook", httpOK, "", ""},
		{"http://example.com/hook", privateOK, CodeNotHTTPS, "https"},
		{"ftp://example.com/hook", devPolicy, CodeInvalidURL, "scheme"},
		{"javascript:alert(1)", devPolicy, CodeInvalidURL, ""},
		{"//example.com/hook", production, CodeInvalidURL, "absolute"},
		{"/hook", production, CodeInvalidURL, "absolute"},
		{"", production, CodeInvalidURL, "empty"},
		{"https://", production, CodeInvalidURL, "no host"},
		{"https:///hook", production, CodeInvalidURL, "no host"},
		{"https:example.com", production, CodeInvalidURL, "no host"},
		{"https://user:pass@example.com/hook", production, CodeInvalidURL, "password"},
		{"https://token@example.com/hook", production, CodeInvalidURL, "user name"},
		{"https://example.com/hook#top", production, CodeInvalidURL, "fragment"},
		{"https://example.com/hook#", production, CodeInvalidURL, "fragment"},
		{"https://example.com:0/hook", production, CodeInvalidURL, "port"},
		{"https://example.com:65536/hook", production, CodeInvalidURL, "port"},
		{"https://example.com:/hook", production, CodeInvalidURL, "port"},
		{"https://example.com:https/hook", production, CodeInvalidURL, ""},
		{" https://example.com/hook", production, CodeInvalidURL, "white space"},
		{"https://exa mple.com/hook", production, CodeInvalidURL, ""},
		{"https://bücher.example/hook", production, CodeInvalidURL, "xn--"},
		{"https://example..com/hook", production, CodeInvalidURL, "host"},
		{"https://" + strings.Repeat("a", 2040) + ".com/", production, CodeInvalidURL, "longer"},

		{"https://127.0.0.1/hook", production, CodePrivateAddress, "127.0.0.1 is a loopback address"},
		{"https://127.0.0.1/hook", httpOK, CodePrivateAddress, "loopback"},
		{"https://127.0.0.1/hook", privateOK, "", ""},
		{"http://127.0.0.1:8080/hook", devPolicy, "", ""},
		{"https://127.255.255.254/hook", production, CodePrivateAddress, "loopback"},
		{"https://[::1]/hook", production, CodePrivateAddress, "loopback"},
		{"https://[::ffff:127.0.0.1]/hook", production, CodePrivateAddress, "loopback"},
		{"https://[::ffff:7f00:1]/hook", production, CodePrivateAddress, "loopback"},
		{"https://[64:ff9b::7f00:1]/hook", production, CodePrivateAddress, "NAT64 form of a loopback"},
		{"https://[::127.0.0.1]/hook", production, CodePrivateAddress, "IPv4-compatible"},
		{"https://10.1.2.3/hook", production, CodePrivateAddress, "private"},
		{"https://172.16.0.1/hook", production, CodePrivateAddress, "private"},
		{"https://172.31.255.255/hook", production, CodePrivateAddress, "private"},
		{"https://172.32.0.1/hook", production, "", ""},
		{"https://192.168.1.10/hook", production, CodePrivateAddress, "private"},
		{"https://[::ffff:192.168.1.10]/hook", production, CodePrivateAddress, "private"},
		{"https://169.254.169.254/latest/meta-data/", production, CodePrivateAddress, "cloud metadata"},
		{"https://169.254.1.1/hook", production, CodePrivateAddress, "link-local"},
		{"https://[fe80::1%25eth0]/hook", production, CodePrivateAddress, "link-local"},
		{"https://[fd00:ec2::254]/hook", production, CodePrivateAddress, "unique-local"},
		{"https://[fc00::1]/hook", production, CodePrivateAddress, "unique-local"},
		{"https://0.0.0.0/hook", production, CodePrivateAddress, "unspecified"},
		{"https://0.1.2.3/hook", production, CodePrivateAddress, "this network"},
		{"https://[::]/hook", production, CodePrivateAddress, "unspecified"},
		{"https://100.64.0.1/hook", production, CodePrivateAddress, "carrier-grade NAT"},
		{"https://100.127.255.255/hook", production, CodePrivateAddress, "carrier-grade NAT"},
		{"https://100.128.0.1/hook", production, "", ""},
		{"https://224.0.0.1/hook", production, CodePrivateAddress, "multicast"},
		{"https://[ff02::1]/hook", production, CodePrivateAddress, "multicast"},
		{"https://255.255.255.255/hook", production, CodePrivateAddress, "broadcast"},
		{"https://240.0.0.1/hook", production, CodePrivateAddress, "reserved"},
		{"https://198.18.0.1/hook", production, CodePrivateAddress, "benchmarking"},
		{"https://192.0.2.1/hook", production, CodePrivateAddress, "documentation"},
		{"https://[2001:db8::1]/hook", production, CodePrivateAddress, "documentation"},
		{"https://[2002:7f00:1::]/hook", production, CodePrivateAddress, "6to4"},
		{"https://[2001::1]/hook", production, CodePrivateAddress, "Teredo"},
		{"https://[4000::1]/hook", production, CodePrivateAddress, "not IPv6 global unicast"},

		// localhost by name, and IPv4 addresses in notations resolvers accept.
		{"https://localhost/hook", production, CodePrivateAddress, "this server itself"},
		{"https://LOCALHOST./hook", production, CodePrivateAddress, "this server itself"},
		{"https://api.localhost:8443/hook", production, CodePrivateAddress, "this server itself"},
		{"http://localhost:8080/hook", devPolicy, "", ""},
		{"https://2130706433/hook", production, CodeInvalidURL, "unusual notation"},
		{"https://0x7f000001/hook", production, CodeInvalidURL, "unusual notation"},
		{"https://0x7f.1/hook", production, CodeInvalidURL, "unusual notation"},
		{"https://127.1/hook", production, CodeInvalidURL, "unusual notation"},
		{"https://127.0.0.1./hook", production, CodeInvalidURL, "unusual notation"},
		{"https://0177.0.0.1/hook", devPolicy, CodeInvalidURL, "unusual notation"},
		{"https://1password.example/hook", production, "", ""},
		{"https://example.0x/hook", production, CodeInvalidURL, "unusual notation"},
		{"https://example.0xcafe.io/hook", production, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			err := tc.policy.CheckURL(tc.url)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("CheckURL under %+v = %v, want accepted", tc.policy, err)
				}
				return
			}
			e := apperr.From(err)
			if e.Kind != apperr.KindRule || len(e.Fields) != 1 {
				t.Fatalf("CheckURL under %+v = %v, want one 422 field error", tc.policy, err)
			}
			f := e.Fields[0]
			if f.Field != "url" || f.Code != tc.code {
				t.Errorf("field error = %+v, want field url, code %s", f, tc.code)
			}
			if !strings.Contains(f.Message, tc.says) {
				t.Errorf("message %q does not say %q", f.Message, tc.says)
			}
		})
	}
}

// hitCounter is a receiver that counts the requests reaching it.
func hitCounter(hits *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}
}

// refusal returns the *RefusedError inside err, failing the test without one.
func refusal(t *testing.T, err error) *RefusedError {
	t.Helper()
	var re *RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("error = %v, want a *RefusedError", err)
	}
	return re
}

func TestClientRefusesLoopbackURL(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(hitCounter(&hits)) // listens on 127.0.0.1
	defer srv.Close()

	_, err := httpOK.Client(5*time.Second).Post(srv.URL+"/hook", "application/json", strings.NewReader(`{}`))
	re := refusal(t, err)
	if re.Code != CodePrivateAddress || !strings.Contains(err.Error(), "127.0.0.1 is a loopback address") {
		t.Errorf("refusal = %+v (%v), want private_address saying 127.0.0.1 is loopback", re, err)
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver was reached %d times", hits.Load())
	}
}

// TestClientChecksTheAddressItDials goes past the URL check, straight to the
// connection-level transport, as a public name resolving to 127.0.0.1 (or
// rebinding to it after CheckURL) would: the connection itself is refused.
// The name case uses localhost, which resolves to loopback without DNS.
func TestClientChecksTheAddressItDials(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(hitCounter(&hits))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	for _, host := range []string{"127.0.0.1", "localhost"} {
		t.Run(host, func(t *testing.T) {
			if _, err := net.LookupHost(host); err != nil {
				t.Skipf("%s does not resolve here: %v", host, err)
			}
			base := httpOK.Client(5 * time.Second).Transport.(*guardedTransport).base
			url := fmt.Sprintf("http://%s/hook", net.JoinHostPort(host, strconv.Itoa(port)))
			req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			_, err = base.RoundTrip(req)
			re := refusal(t, err)
			if re.Code != CodePrivateAddress || !strings.Contains(re.Reason, "is a loopback address") {
				t.Errorf("refusal = %+v, want private_address saying the address is loopback", re)
			}
			if hits.Load() != 0 {
				t.Errorf("the receiver was reached %d times", hits.Load())
			}
		})
	}
}

func TestClientRefusesHTTPUnlessAllowed(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(hitCounter(&hits))
	defer srv.Close()

	_, err := privateOK.Client(5 * time.Second).Get(srv.URL + "/hook")
	if re := refusal(t, err); re.Code != CodeNotHTTPS {
		t.Errorf("refusal = %+v, want not_https", re)
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver was reached %d times", hits.Load())
	}
}

// TestClientDeliversWhenAllowed posts a signed delivery to a local receiver,
// which verifies it as any Standard Webhooks consumer would.
func TestClientDeliversWhenAllowed(t *testing.T) {
	secret := NewSecret()
	body := []byte(`{"type":"lead.assigned","data":{"id":"L-1"}}`)
	var verified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		if err := Verify(r.Header, got, time.Now(), 0, secret); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		verified.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	h, err := Headers("msg_local_1", time.Now(), body, secret)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/hook", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := devPolicy.Client(5 * time.Second).Do(req)
	if err != nil {
		t.Fatalf("delivery under %+v: %v", devPolicy, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || verified.Load() != 1 {
		t.Fatalf("status %d, verified %d; want 204 and one verified delivery", resp.StatusCode, verified.Load())
	}
}

// TestClientReachesPrivateHTTPSWhenAllowed: AllowPrivate alone is enough for
// an https receiver on the office network.
func TestClientReachesPrivateHTTPSWhenAllowed(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewTLSServer(hitCounter(&hits))
	defer srv.Close()

	c := privateOK.Client(5 * time.Second)
	c.Transport.(*guardedTransport).base.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	resp, err := c.Post(srv.URL+"/hook", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || hits.Load() != 1 {
		t.Fatalf("status %d, hits %d; want 204 and one hit", resp.StatusCode, hits.Load())
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	mux.Handle("/elsewhere", hitCounter(&elsewhere))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, err := devPolicy.Client(5*time.Second).Post(srv.URL+"/hook", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("status %d, want the 307 itself", resp.StatusCode)
	}
	if elsewhere.Load() != 0 {
		t.Errorf("the redirect was followed %d times", elsewhere.Load())
	}
}
