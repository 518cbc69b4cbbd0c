package deliveries_test

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/closeloop/closeloop/platform/testenv"
	followupv1 "github.com/closeloop/closeloop/proto/gen/closeloop/followup/v1"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/pages/deliveries"
	"github.com/closeloop/closeloop/services/web/internal/view"
	"github.com/closeloop/closeloop/services/web/webtest"
	wffollowup "github.com/closeloop/closeloop/workflows/followup"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	if err := view.SameKeys(os.DirFS("."), "locales"); err != nil {
		t.Fatal(err)
	}
}

// receiver is a receiving system that is down (500) until up is set.
type receiver struct{ up atomic.Bool }

func (rc *receiver) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if rc.up.Load() {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Error(w, "the chat server is down for maintenance", http.StatusInternalServerError)
}

// stack is the whole stack with the follow-up service sending email to a
// Mailpit and webhooks to a local receiver, retrying a failed delivery for
// a few seconds only, so failures reach the dead-letter list while the
// test waits.
func stack(t *testing.T) (*webtest.Stack, *receiver, string) {
	t.Helper()
	smtp, _ := testenv.Mailpit(t)
	host, port, _ := net.SplitHostPort(smtp)
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	s := webtest.New(t, webtest.Opts{FollowUpEnv: map[string]string{
		"SMTP_HOST": host, "SMTP_PORT": port, "SMTP_TLS": "none", "SMTP_FROM": "Closeloop <closeloop@closeloop.test>",
		"NOTIFY_POLL": "100ms", "NOTIFY_RETRY_FOR": "4s", "NOTIFY_RETRY_INITIAL": "500ms", "NOTIFY_RETRY_MAX_INTERVAL": "1s",
		"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_DISABLE_AFTER": "1000"}})
	return s, rc, srv.URL
}

// seedOverdue starts a call-back of rep-ana that fell due ten days ago, so
// its ladder runs at once: a reminder to her, an escalation to her and one
// to team north's managers.
func seedOverdue(t *testing.T, s *webtest.Stack, customer, title string) string {
	t.Helper()
	id, due := uuid.NewString(), time.Now().Add(-10*24*time.Hour).UTC()
	if err := wffollowup.Start(context.Background(), s.FollowUp.Deps().Temporal, &followupv1.FollowUpSpec{
		Id: id, Kind: "callback", CustomerId: customer, OwnerId: stacktest.RepAna, Team: "north", Territory: "north", Title: title,
		AnchorAt: timestamppb.New(due.Add(-time.Hour)), DueAt: timestamppb.New(due), OpenedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	return id
}

// listed is the deliveries the service lists with query, as admin.
func listed(t *testing.T, s *webtest.Stack, query string) []map[string]any {
	t.Helper()
	r := s.Call("GET", "/v1/deliveries?limit=200&"+query, stacktest.Admin, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("deliveries ?%s: %d %s", query, r.Status, r.Body)
	}
	var out []map[string]any
	items, _ := r.JSON(t)["items"].([]any)
	for _, it := range items {
		out = append(out, it.(map[string]any))
	}
	return out
}

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
	if m := regexp.MustCompile(`(deliveries|board)\.[a-z_]+\.[a-z_.]+`).FindString(p.Body); m != "" {
		t.Fatalf("%s shows the message id %s", what, m)
	}
}

var rowRE = regexp.MustCompile(`<tr id="d-([0-9a-f-]{36})">`)

// TestDeliveries: rep-ana takes her reminders and escalations by email;
// an admin's webhook for them goes to a receiving system that is down. An
// overdue call-back's three messages are emailed to her and fail on the
// webhook until their retries run out. The admin finds them on the
// dead-letter list (two a page), with the receiver's error, the webhook's
// address up to its host and a link to the follow-up on the board, where
// the manager reads how each message went out. Retry (with htmx and
// without) moves a delivery to "retrying"; a second retry is refused in its
// row. Once the receiver is back, retried deliveries are sent and the board
// says so. Others are told the page is not theirs. The browser part is in
// browser_test.go.
func TestDeliveries(t *testing.T) {
	old := deliveries.PageSize
	deliveries.PageSize = 2
	t.Cleanup(func() { deliveries.PageSize = old })
	s, rc, receiverURL := stack(t)
	if r := s.Call("PUT", "/v1/me/notification-preferences", stacktest.RepAna, map[string]any{"language": "en", "time_zone": "Asia/Shanghai",
		"email": "ana@closeloop.test", "email_kinds": []string{"reminder", "escalation"}}); r.Status != http.StatusOK {
		t.Fatalf("rep-ana's preferences: %d %s", r.Status, r.Body)
	}
	r := s.Call("POST", "/v1/webhooks", stacktest.Admin, map[string]any{"url": receiverURL + "/hooks/closeloop?token=t0ps3cret",
		"event_kinds": []string{"reminder", "escalation"}, "description": "the north team's chat"})
	if r.Status != http.StatusCreated {
		t.Fatalf("webhook: %d %s", r.Status, r.Body)
	}
	hook := r.JSON(t)["id"].(string)
	cust := s.Create(stacktest.MgrMia, stacktest.Company(map[string]any{"name": "Hefei Pumps", "owner_id": stacktest.RepAna, "team": "north"}))
	fu := seedOverdue(t, s, cust, "Call back Hefei Pumps about the quote")
	stacktest.Eventually(t, "three webhook deliveries on the dead-letter list", 90*time.Second, func() bool {
		return len(listed(t, s, "status=failed&channel=webhook")) == 3
	})
	failed := listed(t, s, "status=failed")
	ada, mia := s.Client(t, stacktest.Admin), s.Client(t, stacktest.MgrMia)

	// The dead-letter list, two a page.
	p := ada.Get("/admin/deliveries")
	shownAt := strings.TrimPrefix(receiverURL, "http://")
	has(t, "the dead-letter list", p, http.StatusOK, "<h1>Deliveries</h1>", "Failed deliveries", `<span class="badge bad">failed</span>`,
		"<code>http://"+shownAt+"/…</code>", "the north team&#39;s chat", html.EscapeString(failed[0]["last_error"].(string)),
		`href="/board/items/`+fu+`"`, `action="/admin/deliveries/`+failed[0]["id"].(string)+`/retry"`, `name="_csrf"`, `name="_idem"`,
		`<a href="/admin/deliveries?cursor=`, "Next page")
	if strings.Contains(p.Body, "t0ps3cret") {
		t.Fatal("the list shows the webhook's token")
	}
	if !strings.Contains(failed[0]["last_error"].(string), "500") {
		t.Fatalf("the last error does not name the receiver's answer: %v", failed[0])
	}
	page1 := rowRE.FindAllStringSubmatch(p.Body, -1)
	next := regexp.MustCompile(`<a href="(/admin/deliveries\?cursor=[^"]+)" rel="next">`).FindStringSubmatch(p.Body)
	if len(page1) != 2 || next == nil {
		t.Fatalf("the first page lists %d deliveries, next %v", len(page1), next)
	}
	p = ada.Get(html.UnescapeString(next[1]))
	has(t, "the second page", p, http.StatusOK, "First page")
	if page2 := rowRE.FindAllStringSubmatch(p.Body, -1); len(page2) != 1 || page2[0][1] == page1[0][1] || page2[0][1] == page1[1][1] {
		t.Fatalf("the second page lists %v after %v", page2, page1)
	}
	has(t, "failed emails", ada.Get("/admin/deliveries?channel=email"), http.StatusOK, "No failed deliveries")
	stacktest.Eventually(t, "rep-ana's emails sent", 30*time.Second, func() bool {
		return len(listed(t, s, "status=sent&channel=email")) >= 2
	})
	has(t, "sent emails", ada.Get("/admin/deliveries?status=sent&channel=email"), http.StatusOK, "Sent deliveries · Email",
		"ana@closeloop.test", `<span class="badge good">sent</span>`, "Reminder", "Escalation")

	// Not for a manager.
	has(t, "a manager's list", mia.Get("/admin/deliveries"), http.StatusForbidden, "This page is not for your role", "It is for: administrator")
	has(t, "a manager's retry", mia.Post("/admin/deliveries/"+failed[0]["id"].(string)+"/retry", nil), http.StatusForbidden)

	// The board's panel says how each message went out.
	board := func(want ...string) {
		t.Helper()
		p := mia.Get("/board/items/" + fu)
		for _, w := range want {
			if !regexp.MustCompile(w).MatchString(p.Body) {
				t.Fatalf("the item page lacks %s:\n%s", w, p.Body)
			}
		}
	}
	board(`<li class="delivery-failed">Webhook `+hook[:8]+`: failed: [^<]*500`, `<li class="delivery-sent">Email to Ana[^:<]*: sent \d\d:\d\d</li>`)

	// Retry, with htmx: the row as the service answers it.
	id := failed[0]["id"].(string)
	p = ada.Post("/admin/deliveries/"+id+"/retry", nil, "HX-Request", "true", "HX-Target", "d-"+id)
	has(t, "retried with htmx", p, http.StatusOK, `<tr id="d-`+id+`">`, `<span class="badge warn">retrying</span>`, "Sent again now")
	if strings.Contains(p.Body, "<html") || strings.Contains(p.Body, "/retry") {
		t.Fatalf("the retried row:\n%s", p.Body)
	}
	p = ada.Post("/admin/deliveries/"+id+"/retry", nil, "HX-Request", "true", "HX-Target", "d-"+id)
	has(t, "retried twice", p, http.StatusConflict, `<tr id="d-`+id+`"><td colspan="10"><p class="problem" role="alert">This delivery is no longer failed`)
	// Without htmx: back to the list, which says so.
	p = ada.Post(fmt.Sprintf("/admin/deliveries/%s/retry?channel=webhook", failed[1]["id"]), nil)
	has(t, "retried without htmx", p, http.StatusOK, "The delivery is being retried")
	if !strings.HasSuffix(p.URL, "/admin/deliveries?channel=webhook&done=retried") {
		t.Fatalf("a plain retry answered %s", p.URL)
	}

	deliveries.PageSize = old // the browser sees every failed one on one page
	browse(t, s, failed[2]["id"].(string))

	// The receiver is back: whatever failed again is retried once more,
	// and everything is sent.
	rc.up.Store(true)
	stacktest.Eventually(t, "every webhook delivery sent", 60*time.Second, func() bool {
		for _, d := range listed(t, s, "status=failed&channel=webhook") {
			ada.Post("/admin/deliveries/"+d["id"].(string)+"/retry", nil)
		}
		return len(listed(t, s, "status=sent&channel=webhook")) == 3
	})
	has(t, "nothing failed", ada.Get("/admin/deliveries"), http.StatusOK, "No failed deliveries")
	board(`<li class="delivery-sent">Webhook ` + hook[:8] + `: sent (\d\d:\d\d|\d{4}-\d\d-\d\d \d\d:\d\d)</li>`)
}
