package deliveries_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/webtest"
)

// TestCampaignEmails: a campaign's email to a customer (kind touch, from
// the follow-up service, without a follow-up) is listed as a "Campaign
// email" to the customer — named from the customer service, a link to its
// page — not as a daily digest; a touch held by the contact pressure says
// why. The follow-up service is a fake that lists exactly these deliveries.
func TestCampaignEmails(t *testing.T) {
	unknown := "0193a6c2-0000-7c3a-9d4e-2f6a8b0c1dff"
	var deliveries []map[string]any
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/v1/deliveries" {
			w.WriteHeader(http.StatusNotFound)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": "not_found", "message": "not served by the fake"})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"items": deliveries})
	}))
	t.Cleanup(fake.Close)
	s := webtest.New(t, webtest.Opts{NoTemporal: true, WebEnv: map[string]string{"FOLLOWUP_API_URL": fake.URL}})
	cust := s.Create(stacktest.MgrMia, stacktest.Company(map[string]any{"name": "Hefei <Pumps>", "owner_id": stacktest.RepAna, "team": "north"}))
	at := "2026-05-04T02:00:00Z"
	delivery := func(id, kind, target, status string, extra map[string]any) map[string]any {
		d := map[string]any{"id": id, "channel": "email", "kind": kind, "target": target, "status": status, "attempts": 3,
			"created_at": at, "updated_at": at}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	deliveries = []map[string]any{
		delivery("0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d11", "touch", cust, "failed",
			map[string]any{"address": "buyer@hefei.example", "last_error": "550 no such mailbox"}),
		delivery("0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d12", "touch", unknown, "failed", nil),
		delivery("0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d13", "digest", stacktest.RepAna, "failed", nil),
	}
	ada := s.Client(t, stacktest.Admin)
	p := ada.Get("/admin/deliveries")
	has(t, "campaign emails", p, http.StatusOK, "every campaign email to a customer",
		`<a href="/customers/`+cust+`">Hefei &lt;Pumps&gt;</a>`, "buyer@hefei.example", "550 no such mailbox",
		`<a href="/customers/`+unknown+`">Customer 0193a6c2</a>`, "Retry<span class=\"sr\"> — Campaign email, Hefei &lt;Pumps&gt;</span>")
	row := func(id string) string {
		i := strings.Index(p.Body, `<tr id="d-`+id+`">`)
		if i < 0 {
			t.Fatalf("no row of %s:\n%s", id, p.Body)
		}
		return p.Body[i : i+strings.Index(p.Body[i:], "</tr>")]
	}
	for _, id := range []string{"0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d11", "0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d12"} {
		if r := row(id); !strings.Contains(r, ">Campaign email<") || !strings.Contains(r, "— (a campaign email)") ||
			strings.Contains(r, "Daily digest") || strings.Contains(r, "(a digest)") {
			t.Fatalf("a campaign email's row:\n%s", r)
		}
	}
	if r := row("0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d13"); !strings.Contains(r, "Daily digest") || !strings.Contains(r, "— (a digest)") {
		t.Fatalf("a digest's row:\n%s", r)
	}

	deliveries = []map[string]any{delivery("0193a6c2-0000-7c3a-9d4e-2f6a8b0c1d14", "touch", cust, "held",
		map[string]any{"reason": "contact_pressure", "not_before": "2026-05-06T01:00:00Z"})}
	has(t, "a held campaign email", ada.Get("/admin/deliveries?status=held"), http.StatusOK,
		"until 2026-05-06 09:00 · the customer was touched often lately (contact pressure)")
	has(t, "campaign emails in Chinese", ada.Get("/admin/deliveries?status=held", "Accept-Language", "zh-CN,zh;q=0.9"), http.StatusOK,
		">活动邮件<", "—（活动邮件）", "客户近期已多次被触达")
}
