// Package webtest runs the whole stack behind the web console in-process for
// its tests: the customer, follow-up, sales and after-sales services on PostgreSQL
// (or SQLite, Opts.SQLite), the
// workflow worker on the Temporal dev server, a dev OIDC issuer with its
// login page, and the console itself. Client signs a user in over plain
// HTTP (the authorization-code flow with PKCE, as a browser does); Browser
// drives headless Chromium through chromedp.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/sales"
	aftersales "github.com/closeloop/closeloop/services/service"
	"github.com/closeloop/closeloop/services/web"
	"github.com/closeloop/closeloop/services/web/internal/session"
	"github.com/closeloop/closeloop/workflows"
)

// ClientID is the console's client id at the test issuer.
const ClientID = "closeloop-web"

// Opts configure a stack.
type Opts struct {
	// NoTemporal runs the services without Temporal and without a worker
	// (pages that only read and write records).
	NoTemporal bool
	// SQLite runs every service on SQLite instead of PostgreSQL.
	SQLite bool
	// WebEnv, SalesEnv and FollowUpEnv add to each one's environment (the
	// follow-up service's: how notifications go out, e.g. NOTIFY_RETRY_FOR).
	WebEnv, SalesEnv, FollowUpEnv map[string]string
}

// Stack is the running stack.
type Stack struct {
	*stacktest.Stack
	SalesBase string
	// ServiceBase is the after-sales (service) service.
	ServiceBase string
	// URL is the console's public URL.
	URL string
	Web *service.App
	// Namespace is the stack's Temporal namespace.
	Namespace string
}

var nsSeq atomic.Int64

// New starts the stack on PostgreSQL (on SQLite with Opts.SQLite).
func New(t testing.TB, o Opts) *Stack {
	t.Helper()
	st := stacktest.Opts{FollowUpEnv: o.FollowUpEnv}
	ns := ""
	if !o.NoTemporal {
		hostPort, base := testenv.Temporal(t)
		ns = fmt.Sprintf("%s-web-%d", base, nsSeq.Add(1))
		st.Temporal, st.Namespace = hostPort, ns
		// The stack's own namespace, registered (with the search attributes
		// the workflows use) before the worker polls it.
		c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns, Logger: tlog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
		if err != nil {
			t.Fatal(err)
		}
		wcfg := workflows.Config{NamespaceRetention: 24 * time.Hour, ABCScheduleCron: "0 2 * * *", ABCScheduleTZ: "UTC", ABCPageSize: 1000}
		if err := workflows.Setup(context.Background(), c, ns, wcfg, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("temporal setup: %v", err)
		}
		c.Close()
		stacktest.StartWorker(t, hostPort, ns, nil)
	}
	newDB := testenv.Postgres
	if o.SQLite {
		newDB = testenv.SQLite
	}
	s := &Stack{Stack: stacktest.New(t, newDB(t), st), Namespace: ns}
	temporal, namespace := st.Temporal, st.Namespace
	if temporal == "" {
		temporal, namespace = "127.0.0.1:1", "default"
	}
	common := map[string]string{"OIDC_ISSUER_URL": s.Issuer.URL(), "TEMPORAL_ADDRESS": temporal, "TEMPORAL_NAMESPACE": namespace,
		"LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"}
	salesEnv := merge(common, map[string]string{"DATABASE_URL": newDB(t), "CUSTOMER_API_URL": s.Base,
		"LEAD_CREATE_WAIT": "60s", "WORKFLOW_UPDATE_WAIT": "60s"}, o.SalesEnv)
	s.SalesBase = servicetest.Start(t, sales.Spec(), salesEnv, service.Options{}).Base
	s.ServiceBase = servicetest.Start(t, aftersales.Spec(), merge(common, map[string]string{"DATABASE_URL": newDB(t),
		"CUSTOMER_API_URL": s.Base}), service.Options{}).Base

	// The console's public URL must be known before it starts (it is its
	// redirect URI): a proxy listens first and forwards once it runs.
	var target atomic.Pointer[url.URL]
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		if u := target.Load(); u != nil {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		}
	}})
	t.Cleanup(proxy.Close)
	s.URL = proxy.URL
	s.Issuer.RegisterClient(ClientID, s.URL+"/auth/callback")
	webEnv := merge(common, map[string]string{
		"WEB_PUBLIC_URL": s.URL, "WEB_OIDC_CLIENT_ID": ClientID, "WEB_SESSION_KEY": session.NewKey(),
		"CUSTOMER_API_URL": s.Base, "FOLLOWUP_API_URL": s.FollowUpBase, "SALES_API_URL": s.SalesBase,
		"SERVICE_API_URL": s.ServiceBase,
		// No marketing service runs here unless a test gives its own: an
		// address that refuses, never the default's 127.0.0.1:8084, where a
		// developer's make run answers (its campaigns page then held up the
		// pages' htmx requests in TestBrowserPagesKeepTheConsoleCSP).
		"MARKETING_API_URL": "http://127.0.0.1:1",
		"TEMPORAL_UI_URL":   "http://temporal-ui.test", "WEB_DEFAULT_TIME_ZONE": "Asia/Shanghai",
	}, o.WebEnv)
	w := servicetest.Start(t, web.Spec(), webEnv, service.Options{})
	u, err := url.Parse(w.Base)
	if err != nil {
		t.Fatal(err)
	}
	target.Store(u)
	s.Web = w.App
	return s
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Client is a signed-in user of the console over plain HTTP.
type Client struct {
	T    testing.TB
	HTTP *http.Client
	Base string
	// CSRF is the session's anti-CSRF token, read from the first page.
	CSRF string
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// Client signs user in through the issuer's login page, as a browser does
// (the console's /auth/login, the issuer's form, the callback), and returns
// a client holding the session cookie.
func (s *Stack) Client(t testing.TB, user string) *Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := hc.Get(s.URL + "/auth/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `value="`+user+`"`) {
		t.Fatalf("the issuer's login page (%s, %d) does not offer %s:\n%s", resp.Request.URL, resp.StatusCode, user, body)
	}
	form := url.Values{"sub": {user}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"`).FindAllStringSubmatch(string(body), -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	action := resp.Request.URL.String()
	resp, err = hc.PostForm(action, form)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode >= 500 || !strings.HasPrefix(resp.Request.URL.String(), s.URL) {
		t.Fatalf("sign-in of %s ended at %s with %d:\n%s", user, resp.Request.URL, resp.StatusCode, page)
	}
	c := &Client{T: t, HTTP: hc, Base: s.URL}
	if m := csrfRE.FindSubmatch(page); m != nil {
		c.CSRF = string(m[1])
	}
	return c
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">").Replace(s)
}

// Page is an answer of the console.
type Page struct {
	Status int
	Body   string
	URL    string
	Header http.Header
}

// Get fetches path; headers are name, value pairs (e.g. "HX-Request", "true").
func (c *Client) Get(path string, headers ...string) Page {
	c.T.Helper()
	return c.do(http.MethodGet, path, nil, headers)
}

// Post submits form to path with the session's anti-CSRF token (unless the
// form has its own _csrf, even empty) and an idempotency key.
func (c *Client) Post(path string, form url.Values, headers ...string) Page {
	c.T.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", c.CSRF)
	}
	if _, ok := form["_idem"]; !ok {
		form.Set("_idem", session.Token(12))
	}
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()), append(headers, "Content-Type", "application/x-www-form-urlencoded"))
}

func (c *Client) do(method, path string, body io.Reader, headers []string) Page {
	c.T.Helper()
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		c.T.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(b); m != nil {
		c.CSRF = string(m[1])
	}
	return Page{Status: resp.StatusCode, Body: string(b), URL: resp.Request.URL.String(), Header: resp.Header}
}

// SalesCall sends a request to the sales service's API as user (JSON body,
// with an Idempotency-Key, when body is not nil) and decodes the answer's
// object; the test fails on any status but want.
func (s *Stack) SalesCall(t testing.TB, want int, method, path, user string, body any) map[string]any {
	t.Helper()
	return s.call(t, s.SalesBase, want, method, path, user, body)
}

// ServiceCall is SalesCall to the after-sales (service) service.
func (s *Stack) ServiceCall(t testing.TB, want int, method, path, user string, body any) map[string]any {
	t.Helper()
	return s.call(t, s.ServiceBase, want, method, path, user, body)
}

func (s *Stack) call(t testing.TB, base string, want int, method, path, user string, body any) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.Tokens[user])
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("t-%d-%d", time.Now().UnixNano(), callSeq.Add(1)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s as %s: %d, want %d: %s", method, path, user, resp.StatusCode, want, raw)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

var callSeq atomic.Int64

// TimeRequests sends n requests one after the other and returns how long
// each took; each must answer 200 (benchmarks of the pages).
func TimeRequests(t testing.TB, n int, get func() Page) []time.Duration {
	t.Helper()
	out := make([]time.Duration, n)
	for i := range out {
		t0 := time.Now()
		p := get()
		out[i] = time.Since(t0)
		if p.Status != http.StatusOK {
			t.Fatalf("request %d: %d\n%s", i, p.Status, p.Body)
		}
	}
	return out
}
