package webhooks_test

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/pages/webhooks"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// A webhook's address is shown up to its host: the rest is where chat
// tools keep their tokens.
func TestElide(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.slack.com/services/T0/B0/secrettoken": "https://hooks.slack.com/…",
		"https://chat.example.com:8443/hook?token=abc":       "https://chat.example.com:8443/…",
		"https://example.com?token=abc":                      "https://example.com/…",
		"https://example.com/":                               "https://example.com/",
		"https://example.com":                                "https://example.com",
		"https://user:pw@example.com/x":                      "https://example.com/…",
		"not a url with a token":                             "…",
		"%zz":                                                "…",
	} {
		if got := webhooks.Elide(in); got != want {
			t.Errorf("Elide(%q) = %q, want %q", in, got, want)
		}
	}
}

// has fails unless p has status and every text, and no message id.
func has(t *testing.T, what string, p webtest.Page, status int, texts ...string) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("%s: %d, want %d\n%s", what, p.Status, status, p.Body)
	}
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page lacks %q\n%s", what, s, p.Body)
		}
	}
	if m := regexp.MustCompile(`(^|[^/\w-])webhooks\.[a-z_.]+`).FindString(p.Body); m != "" {
		t.Fatalf("%s shows the message id %s", what, m)
	}
}

func lacks(t *testing.T, what string, p webtest.Page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(p.Body, s) {
			t.Fatalf("%s: the page shows %q\n%s", what, s, p.Body)
		}
	}
}

// hooks is every subscription as the service has it.
func hooks(t *testing.T, s *webtest.Stack) []map[string]any {
	t.Helper()
	r := s.Call("GET", "/v1/webhooks", stacktest.Admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("webhooks: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	items, _ := r.JSON(t)["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

var secretRE = regexp.MustCompile(`id="wh-secret" class="secret-value" value="(whsec_[^"]+)"`)

// An admin registers a webhook: an http URL and a private address are
// refused next to the URL field (in English and Chinese) and nothing is
// stored; a good one is stored, its secret shown once — not on the next
// visit — and its URL never shown past the host. The admin changes it,
// switches it off and on, gives it a new secret (shown once, with until
// when the old one signs) and deletes it after a confirmation. Others are
// told the page is not for their role; a post without the anti-CSRF token
// is refused.
func TestWebhooks(t *testing.T) {
	s := webtest.New(t, webtest.Opts{NoTemporal: true})
	ada, mia := s.Client(t, stacktest.Admin), s.Client(t, stacktest.MgrMia)

	has(t, "the empty list", ada.Get("/admin/webhooks"), http.StatusOK, "<h1>Webhooks</h1>", "No webhooks yet", `href="/admin/deliveries"`)
	p := mia.Get("/admin/webhooks")
	has(t, "a manager", p, http.StatusForbidden, "This page is not for your role", "It is for: administrator", "Mia")
	if strings.Contains(p.Body, `href="/admin/webhooks"`) {
		t.Fatal("a manager's navigation offers the administration")
	}
	if !strings.Contains(ada.Get("/board").Body, `<a href="/admin/webhooks">Admin</a>`) {
		t.Fatal("the admin's navigation lacks the administration")
	}
	// good is a fresh form each time (a post adds its tokens to the form).
	const goodURL = "https://hooks.example.com/services/T01/B02/tok3nXYZ?channel=ops"
	good := func() url.Values {
		return url.Values{"url": {goodURL}, "description": {"the ops chat"}, "language": {"zh-Hans"}, "kind": {"reminder", "escalation"}}
	}
	has(t, "a manager's post", mia.Post("/admin/webhooks", good()), http.StatusForbidden, "not for your role")

	// Refusals, next to their fields, with what was typed kept.
	bad := url.Values{"url": {"http://hooks.example.com/x"}, "description": {"plain http"}, "kind": {"reminder"}}
	p = ada.Post("/admin/webhooks", bad)
	has(t, "an http URL", p, http.StatusUnprocessableEntity, `aria-describedby="wh-url-hint e-url" aria-invalid="true"`,
		`<span class="field-error" id="e-url" role="alert">Use an https address`, `value="http://hooks.example.com/x"`, `value="plain http"`,
		`id="wh-kind-reminder" name="kind" value="reminder" checked`)
	p = ada.Post("/admin/webhooks", url.Values{"url": {"https://10.1.2.3/hook"}, "kind": {"escalation"}})
	has(t, "a private address", p, http.StatusUnprocessableEntity, `id="e-url" role="alert">This is a private, local or otherwise non-public address`)
	p = ada.Post("/admin/webhooks", url.Values{"url": {"https://hooks.example.com/x"}}, "Accept-Language", "zh-CN")
	has(t, "no kinds, in Chinese", p, http.StatusUnprocessableEntity, `id="e-kinds" role="alert">请至少选择一种消息。`, "Webhook 未保存")
	p = ada.Post("/admin/webhooks", url.Values{"url": {"http://127.0.0.1/x"}, "kind": {"reminder"}}, "Accept-Language", "zh-CN")
	has(t, "an http URL, in Chinese", p, http.StatusUnprocessableEntity, `id="e-url" role="alert">请使用 https 地址`)
	if n := len(hooks(t, s)); n != 0 {
		t.Fatalf("refused forms stored %d webhooks", n)
	}
	forged := good()
	forged.Set("_csrf", "")
	if p := ada.Post("/admin/webhooks", forged); p.Status != http.StatusForbidden || len(hooks(t, s)) != 0 {
		t.Fatalf("a post without the anti-CSRF token: %d, %d webhooks", p.Status, len(hooks(t, s)))
	}

	// Registered: the secret once, the URL up to its host.
	p = ada.Post("/admin/webhooks", good())
	has(t, "registered", p, http.StatusOK, "The webhook to https://hooks.example.com/… is added.", "Store it now: it will not be shown again.",
		"<code>https://hooks.example.com/…</code>", "the ops chat", "reminders", "escalations")
	lacks(t, "registered", p, "tok3nXYZ", "channel=ops")
	m := secretRE.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("the new secret is not shown:\n%s", p.Body)
	}
	// The page has it as HTML writes it ("+" is &#43;): shown is what to
	// look for in a page, secret the secret itself.
	shown, secret := m[1], html.UnescapeString(m[1])
	all := hooks(t, s)
	if len(all) != 1 || all[0]["url"] != goodURL || all[0]["description"] != "the ops chat" || all[0]["language"] != "zh-Hans" ||
		!strings.HasSuffix(secret, strings.TrimPrefix(all[0]["secret_hint"].(string), "whsec_…")) {
		t.Fatalf("stored %v (secret shown %s)", all, secret)
	}
	id := all[0]["id"].(string)
	p = ada.Get("/admin/webhooks")
	// The hint as the page writes it too: its last four characters may
	// hold a "+".
	has(t, "the list again", p, http.StatusOK, "<code>https://hooks.example.com/…</code>",
		strings.ReplaceAll(all[0]["secret_hint"].(string), "+", "&#43;"))
	lacks(t, "the list again", p, shown, secret, "Store it now", "tok3nXYZ")

	// Changed: an empty URL keeps it; a refused URL changes nothing.
	p = ada.Get("/admin/webhooks/" + id)
	has(t, "the edit page", p, http.StatusOK, `id="wh-url" name="url" type="url" value=""`, "Leave it empty to keep https://hooks.example.com/….",
		`value="the ops chat"`, `id="wh-kind-escalation" name="kind" value="escalation" checked`)
	lacks(t, "the edit page", p, "tok3nXYZ", shown, secret)
	p = ada.Post("/admin/webhooks/"+id, url.Values{"url": {"http://hooks.example.com/new"}, "description": {"changed"}, "kind": {"handover"}})
	has(t, "a refused change", p, http.StatusUnprocessableEntity, `id="e-url" role="alert">Use an https address`, `value="changed"`)
	if h := hooks(t, s)[0]; h["description"] != "the ops chat" {
		t.Fatalf("a refused change was stored: %v", h)
	}
	p = ada.Post("/admin/webhooks/"+id, url.Values{"url": {""}, "description": {"the sales chat"}, "kind": {"handover"}})
	has(t, "saved", p, http.StatusOK, "The webhook is saved.", "the sales chat", "hand-overs")
	if h := hooks(t, s)[0]; h["url"] != goodURL || h["description"] != "the sales chat" || len(h["event_kinds"].([]any)) != 1 {
		t.Fatalf("after the change: %v", h)
	}

	// Off and on again.
	p = ada.Post("/admin/webhooks/"+id+"/disable", nil)
	has(t, "switched off", p, http.StatusOK, "The webhook is switched off", `<span class="badge bad">Off</span>`, "switched off by admin-ada", "Switch on")
	if hooks(t, s)[0]["enabled"] != false {
		t.Fatal("the webhook is still on")
	}
	has(t, "switched on", ada.Post("/admin/webhooks/"+id+"/enable", nil), http.StatusOK, "switched on again", `<span class="badge good">On</span>`)

	// A new secret, once, with the old one's overlap.
	p = ada.Post("/admin/webhooks/"+id+"/rotate", nil)
	has(t, "rotated", p, http.StatusOK, "The webhook has a new secret.", "Store it now", "The old secret keeps signing deliveries too until")
	if m := secretRE.FindStringSubmatch(p.Body); m == nil || m[1] == shown {
		t.Fatalf("the rotated secret is not shown, or is the old one:\n%s", p.Body)
	}
	p = ada.Get("/admin/webhooks/" + id)
	lacks(t, "the edit page after rotating", p, "Store it now", `class="secret-value"`)
	has(t, "the edit page after rotating", p, http.StatusOK, "the old one signs too until")

	// Deleted after a confirmation.
	has(t, "the confirmation", ada.Get("/admin/webhooks/"+id+"/delete"), http.StatusOK, "Delete this webhook?",
		"https://hooks.example.com/…", "This cannot be undone.", `action="/admin/webhooks/`+id+`/delete"`)
	has(t, "a manager's delete", mia.Post("/admin/webhooks/"+id+"/delete", nil), http.StatusForbidden)
	has(t, "deleted", ada.Post("/admin/webhooks/"+id+"/delete", nil), http.StatusOK, "The webhook is deleted", "No webhooks yet")
	if n := len(hooks(t, s)); n != 0 {
		t.Fatalf("%d webhooks after the delete", n)
	}
	has(t, "a deleted webhook's page", ada.Get("/admin/webhooks/"+id), http.StatusNotFound)

	browse(t, s)
}
