package ports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/closeloop/closeloop/platform/auth"
	"github.com/closeloop/closeloop/platform/db"
	"github.com/closeloop/closeloop/platform/db/migrate"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/platform/webhook"
	"github.com/closeloop/closeloop/services/followup/internal/adapters"
	"github.com/closeloop/closeloop/services/followup/internal/adapters/store"
	"github.com/closeloop/closeloop/services/followup/internal/app"
	"github.com/closeloop/closeloop/services/followup/internal/ports"
)

// webhooksServer serves WebhooksHTTP over a fresh SQLite database. The
// caller is the principal named by the test-only X-Test-Role header (its
// subject is "<role>-1"); without the header there is none.
func webhooksServer(t *testing.T) http.Handler {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	gdb, err := db.Open(ctx, db.Config{URL: testenv.SQLite(t), MaxOpenConns: 1, MaxIdleConns: 1, ConnMaxLifetime: time.Minute, SlowQuery: time.Second}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := gdb.DB(); err == nil {
			s.Close()
		}
	})
	if _, err := migrate.Run(ctx, gdb, "followup", adapters.Migrations, log); err != nil {
		t.Fatal(err)
	}
	gin.SetMode(gin.TestMode)
	e := gin.New()
	v1 := e.Group("/v1", func(c *gin.Context) {
		if role := c.GetHeader("X-Test-Role"); role != "" {
			p := auth.Principal{Subject: role + "-1", Roles: []auth.Role{auth.Role(role)}, Teams: []string{"north"}}
			c.Request = c.Request.WithContext(auth.WithPrincipal(c.Request.Context(), p))
		}
	})
	h := &ports.WebhooksHTTP{Webhooks: app.NewWebhooks(store.NewWebhooks(gdb), webhook.Policy{})}
	h.Routes(v1)
	return e
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func send(t *testing.T, h http.Handler, role, method, path, body string) answer {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if role != "" {
		req.Header.Set("X-Test-Role", role)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	a := answer{status: w.Code, header: w.Header(), raw: w.Body.String()}
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &a.body); err != nil {
			t.Fatalf("%s %s: not a JSON object: %s", method, path, w.Body.String())
		}
	}
	return a
}

// fieldCodes are the field:code pairs of an error body.
func fieldCodes(a answer) []string {
	details, _ := a.body["details"].(map[string]any)
	fields, _ := details["fields"].([]any)
	var out []string
	for _, f := range fields {
		m, _ := f.(map[string]any)
		out = append(out, m["field"].(string)+":"+m["code"].(string))
	}
	return out
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// The wire: snake_case names, the secret in the create and rotate answers
// only, 201 with Location, 204 on delete, strict JSON, 403 for non-admins,
// 422 with field errors.
func TestWebhooksHTTP(t *testing.T) {
	h := webhooksServer(t)

	created := send(t, h, "admin", "POST", "/v1/webhooks",
		`{"url":"https://hooks.example.com/closeloop","description":"ops chat","event_kinds":["escalation","handover"]}`)
	if created.status != http.StatusCreated {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	id, _ := created.body["id"].(string)
	secret, _ := created.body["secret"].(string)
	if id == "" || created.header.Get("Location") != "/v1/webhooks/"+id || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create: Location %q, %s", created.header.Get("Location"), created.raw)
	}
	wantKeys := []string{"created_at", "created_by", "description", "disabled_at", "disabled_reason", "enabled", "event_kinds", "failing_since",
		"failures", "id", "language", "previous_secret_until", "secret_hint", "updated_at", "url"}
	if got := keys(created.body); !slices.Equal(got, sortedWith(wantKeys, "secret")) {
		t.Fatalf("create answers %v", got)
	}
	if created.body["created_by"] != "admin-1" || created.body["enabled"] != true || created.body["secret_hint"] != "whsec_…"+secret[len(secret)-4:] {
		t.Fatalf("create: %s", created.raw)
	}

	// Read back: the hint, never the secret.
	got := send(t, h, "admin", "GET", "/v1/webhooks/"+id, "")
	if got.status != http.StatusOK || !slices.Equal(keys(got.body), wantKeys) || strings.Contains(got.raw, strings.TrimPrefix(secret, "whsec_")) {
		t.Fatalf("get: %d %s", got.status, got.raw)
	}
	list := send(t, h, "admin", "GET", "/v1/webhooks", "")
	items, _ := list.body["items"].([]any)
	if list.status != http.StatusOK || len(items) != 1 || strings.Contains(list.raw, `"secret"`) || strings.Contains(list.raw, strings.TrimPrefix(secret, "whsec_")) {
		t.Fatalf("list: %d %s", list.status, list.raw)
	}

	// Refusals.
	for _, c := range []struct {
		name, role, method, path, body string
		status                         int
		fields                         []string
	}{
		{"unknown field", "admin", "POST", "/v1/webhooks", `{"url":"https://a.example.com/","event_kinds":["reminder"],"colour":"red"}`, 400, []string{"colour:unknown_field"}},
		{"plain http", "admin", "POST", "/v1/webhooks", `{"url":"http://a.example.com/","event_kinds":["reminder"]}`, 422, []string{"url:not_https"}},
		{"private address, bad kind, short secret", "admin", "POST", "/v1/webhooks",
			`{"url":"https://10.0.0.1/","event_kinds":["nope"],"secret":"whsec_dG9vIHNob3J0"}`, 422,
			[]string{"url:private_address", "event_kinds:invalid", "secret:secret_too_short"}},
		{"a secret is not patched", "admin", "PATCH", "/v1/webhooks/" + id, `{"secret":"whsec_x"}`, 400, []string{"secret:unknown_field"}},
		{"patch to loopback", "admin", "PATCH", "/v1/webhooks/" + id, `{"url":"https://127.0.0.1/"}`, 422, []string{"url:private_address"}},
		{"unknown id", "admin", "GET", "/v1/webhooks/nope", "", 404, nil},
		{"rep", "rep", "GET", "/v1/webhooks", "", 403, nil},
		{"manager", "manager", "POST", "/v1/webhooks", `{"url":"https://a.example.com/","event_kinds":["reminder"]}`, 403, nil},
		{"analyst", "analyst", "POST", "/v1/webhooks/" + id + "/rotate-secret", "", 403, nil},
		{"rep deletes", "rep", "DELETE", "/v1/webhooks/" + id, "", 403, nil},
		{"nobody", "", "GET", "/v1/webhooks", "", 401, nil},
	} {
		a := send(t, h, c.role, c.method, c.path, c.body)
		if a.status != c.status || !slices.Equal(fieldCodes(a), c.fields) {
			t.Errorf("%s: %d %s; want %d %v", c.name, a.status, a.raw, c.status, c.fields)
		}
	}
	if list := send(t, h, "admin", "GET", "/v1/webhooks", ""); len(list.body["items"].([]any)) != 1 {
		t.Fatalf("a refused request stored something: %s", list.raw)
	}

	// Switched off, rotated (no body), deleted.
	off := send(t, h, "admin", "PATCH", "/v1/webhooks/"+id, `{"enabled":false,"description":"paused"}`)
	if off.status != http.StatusOK || off.body["enabled"] != false || off.body["disabled_reason"] != "disabled by admin-1" || off.body["description"] != "paused" {
		t.Fatalf("patch: %d %s", off.status, off.raw)
	}
	rot := send(t, h, "admin", "POST", "/v1/webhooks/"+id+"/rotate-secret", "")
	next, _ := rot.body["secret"].(string)
	if rot.status != http.StatusOK || !strings.HasPrefix(next, "whsec_") || next == secret || rot.body["previous_secret_until"] == nil {
		t.Fatalf("rotate: %d %s", rot.status, rot.raw)
	}
	own := webhook.NewSecret().Reveal()
	body, _ := json.Marshal(map[string]string{"secret": own})
	if rot := send(t, h, "admin", "POST", "/v1/webhooks/"+id+"/rotate-secret", string(bytes.TrimSpace(body))); rot.status != http.StatusOK || rot.body["secret"] != own {
		t.Fatalf("rotate to a given secret: %d %s", rot.status, rot.raw)
	}
	if del := send(t, h, "admin", "DELETE", "/v1/webhooks/"+id, ""); del.status != http.StatusNoContent || del.raw != "" {
		t.Fatalf("delete: %d %s", del.status, del.raw)
	}
	if again := send(t, h, "admin", "DELETE", "/v1/webhooks/"+id, ""); again.status != http.StatusNotFound {
		t.Fatalf("delete again: %d %s", again.status, again.raw)
	}
}

func sortedWith(s []string, extra string) []string {
	out := append(slices.Clone(s), extra)
	slices.Sort(out)
	return out
}

// The OpenAPI document declares the six operations, and only the create
// and rotate answers carry a secret.
func TestWebhooksOpenAPI(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(ports.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, methods := range doc.Paths {
		if strings.HasPrefix(path, "/v1/webhooks") {
			for m := range methods {
				ops = append(ops, strings.ToUpper(m)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	want := []string{"DELETE /v1/webhooks/{id}", "GET /v1/webhooks", "GET /v1/webhooks/{id}", "PATCH /v1/webhooks/{id}", "POST /v1/webhooks",
		"POST /v1/webhooks/{id}/rotate-secret"}
	if !slices.Equal(ops, want) {
		t.Fatalf("documented %v, want %v", ops, want)
	}
	for name, secret := range map[string]bool{"WebhookView": false, "WebhooksPage": false, "WebhookSecretView": true} {
		props := doc.Components.Schemas[name].Properties
		if _, ok := props["secret"]; ok != secret || len(props) == 0 {
			t.Errorf("schema %s: secret %v, want %v (%v)", name, ok, secret, keys(props))
		}
	}
}
