package customer360

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/customerapi"
	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
)

// The customer service's timeline entries, as its API documents them,
// become the page's entries: actions linked to their lead or opportunity, a
// service case's change as the change (in the page's words: the event) of
// the case named by its subject, linked to the case, an info slip's change
// likewise (linked to the slip, in its department or none), visits to their
// page, stage changes with their stages.
func TestCustomerEntries(t *testing.T) {
	raw := `{"items": [
  {"source": "action", "id": "a3", "at": "2026-05-07T10:00:00Z", "kind": "log", "actor": "workflow", "department": "service",
   "action": {"status": "done", "category": "service_case", "title": "Case resolved: Crane hydraulics leak", "summary": "seal replaced",
              "customer_ids": ["c"], "contact_ids": [], "lead_ids": [], "opportunity_ids": [],
              "case_id": "0190a6c9-0d2f", "case_event": "resolved", "case_team": "service-north"}},
  {"source": "action", "id": "s9", "at": "2026-05-06T12:00:00Z", "kind": "log", "actor": "workflow",
   "action": {"status": "done", "category": "info_slip", "title": "Slip closed: Competitor offers 10% off", "summary": "all done",
              "customer_ids": ["c"], "contact_ids": [], "lead_ids": [], "opportunity_ids": [],
              "slip_id": "5b1/7", "slip_event": "closed"}},
  {"source": "action", "id": "s8", "at": "2026-05-06T11:00:00Z", "kind": "log", "actor": "rep-ana", "department": "sales",
   "action": {"status": "done", "category": "info_slip", "title": "Slip sent: Competitor offers 10% off",
              "customer_ids": ["c"], "contact_ids": [], "lead_ids": ["l1"], "opportunity_ids": [],
              "slip_id": "5b17", "slip_event": "sent"}},
  {"source": "action", "id": "a2", "at": "2026-05-06T09:00:00Z", "kind": "plan", "actor": "rep-ana", "department": "sales",
   "action": {"status": "planned", "category": "phone_call", "title": "Offer follow-up", "summary": "", "outcome": "",
              "customer_ids": ["c"], "contact_ids": [], "lead_ids": [], "opportunity_ids": ["7c1e"]}},
  {"source": "action", "id": "a1", "at": "2026-05-05T09:00:00Z", "kind": "log", "actor": "rep-cy", "department": "service",
   "action": {"status": "done", "category": "briefing_report", "title": "Quarterly report", "summary": "sent", "outcome": "read",
              "customer_ids": ["c"], "contact_ids": [], "lead_ids": ["5f/0c"], "opportunity_ids": []}},
  {"source": "visit", "id": "v1", "at": "2026-05-02T02:00:00Z", "kind": "done", "actor": "rep-ana", "department": "service",
   "visit": {"day": "2026-05-02", "purpose": "quarterly review",
             "participants": [{"user_id": "rep-ana", "department": "service", "role": "booker"}],
             "log": {"summary": "went well", "outcome": "orders more", "next_step": "", "by": "rep-ana", "at": "2026-05-02T04:00:00Z"}}},
  {"source": "visit", "id": "v0", "at": "2026-05-01T02:00:00Z", "kind": "cancelled", "actor": "rep-cy", "department": "marketing",
   "visit": {"day": "2026-05-01", "purpose": "fair invitation", "cancel_reason": "customer on holiday"}},
  {"source": "stage", "id": "s1", "at": "2026-04-30T08:00:00Z", "kind": "lifecycle", "actor": "mgr-mia",
   "stage": {"from": "transacting", "to": "service", "reason": "after-sales"}},
  {"source": "campaign", "id": "x1", "at": "2026-04-29T08:00:00Z", "kind": "touch", "actor": "mkt-mo"}]}`
	var page customerapi.TimelinePage
	if err := json.Unmarshal([]byte(raw), &page); err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{At: time.Date(2026, 5, 7, 10, 0, 0, 0, time.UTC), Source: "customer", Department: "service", Kind: "service_case", Event: "resolved",
			Team: "service-north", Actor: "workflow", Title: "Crane hydraulics leak", Summary: "seal replaced", Link: "/cases/0190a6c9-0d2f"},
		{At: time.Date(2026, 5, 6, 12, 0, 0, 0, time.UTC), Source: "customer", Kind: "info_slip", Event: "closed",
			Actor: "workflow", Title: "Competitor offers 10% off", Summary: "all done", Link: "/slips/5b1%2F7"},
		{At: time.Date(2026, 5, 6, 11, 0, 0, 0, time.UTC), Source: "customer", Department: "sales", Kind: "info_slip", Event: "sent",
			Actor: "rep-ana", Title: "Competitor offers 10% off", Link: "/slips/5b17"},
		{At: time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC), Source: "customer", Department: "sales", Kind: "phone_call", Status: "planned",
			Actor: "rep-ana", Title: "Offer follow-up", Link: "/opportunities/7c1e"},
		{At: time.Date(2026, 5, 5, 9, 0, 0, 0, time.UTC), Source: "customer", Department: "service", Kind: "briefing_report", Status: "done",
			Actor: "rep-cy", Title: "Quarterly report", Summary: "sent — read", Link: "/leads/5f%2F0c"},
		{At: time.Date(2026, 5, 2, 2, 0, 0, 0, time.UTC), Source: "customer", Department: "service", Kind: "visit", Status: "done",
			Actor: "rep-ana", Title: "quarterly review", Summary: "went well — orders more", Link: "/visits/v1"},
		{At: time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC), Source: "customer", Department: "marketing", Kind: "visit", Status: "cancelled",
			Actor: "rep-cy", Title: "fair invitation", Summary: "customer on holiday", Link: "/visits/v0"},
		{At: time.Date(2026, 4, 30, 8, 0, 0, 0, time.UTC), Source: "customer", Kind: "stage_lifecycle", StageFrom: "transacting",
			StageTo: "service", Actor: "mgr-mia", Summary: "after-sales"},
		{At: time.Date(2026, 4, 29, 8, 0, 0, 0, time.UTC), Source: "customer", Kind: "campaign", Actor: "mkt-mo"},
	}
	if len(*page.Items) != len(want) {
		t.Fatalf("%d items", len(*page.Items))
	}
	for i, ce := range *page.Items {
		if got := customerEntry(ce); got != want[i] {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got, want[i])
		}
	}
}

// An "Older entries" link the page wrote before service cases were on the
// timeline still reads on: its position in the customer service's timeline
// (a page's cursor and the entries of it already shown) is asked of the
// timeline in one call, all sources at once, and the page goes on after the
// entries shown — service cases' changes among them.
func TestCustomerSourceReadsOnFromAnOlderLink(t *testing.T) {
	var asked []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/customers/c1/timeline" {
			http.NotFound(w, r)
			return
		}
		asked = append(asked, r.URL.Query())
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"items": [
  {"source": "action", "id": "a5", "at": "2026-05-07T12:00:00Z", "kind": "log", "actor": "rep-ana", "department": "sales",
   "action": {"status": "done", "category": "phone_call", "title": "shown before"}},
  {"source": "visit", "id": "v4", "at": "2026-05-07T11:00:00Z", "kind": "booked", "actor": "rep-ana", "department": "sales",
   "visit": {"purpose": "shown before"}},
  {"source": "action", "id": "a3", "at": "2026-05-07T10:00:00Z", "kind": "log", "actor": "agent-li", "department": "service",
   "action": {"status": "done", "category": "service_case", "title": "Case filed: Crane hydraulics leak",
              "case_id": "k1", "case_event": "filed", "case_team": "service-north"}},
  {"source": "stage", "id": "s2", "at": "2026-05-07T09:00:00Z", "kind": "lifecycle", "actor": "mgr-mia",
   "stage": {"from": "prospect", "to": "transacting"}}],
 "next_cursor": "svc-next"}`)
	}))
	defer srv.Close()
	api, err := customerapi.NewClientWithResponses(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	// {"customer":"2:svc-page","sales":"-"}, as the page wrote it.
	cur, err := ParseCursor("eyJjdXN0b21lciI6IjI6c3ZjLXBhZ2UiLCJzYWxlcyI6Ii0ifQ")
	if err != nil {
		t.Fatal(err)
	}
	entries, next, err := Page(context.Background(), []source{customerSource{api: api, id: "c1"}, salesSource{id: "c1"}}, cur, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 1 || asked[0].Get("cursor") != "svc-page" || asked[0].Get("limit") != "4" || asked[0].Has("source") {
		t.Fatalf("the timeline was asked %v", asked)
	}
	if len(entries) != 2 || entries[0].Kind != "service_case" || entries[0].Event != "filed" || entries[0].Team != "service-north" ||
		entries[0].Title != "Crane hydraulics leak" || entries[0].Link != "/cases/k1" || entries[1].Kind != "stage_lifecycle" {
		t.Fatalf("the page after the older link: %+v", entries)
	}
	if c, err := ParseCursor(next); err != nil || c["customer"] != "0:svc-next" || c["sales"] != Done {
		t.Fatalf("the next older link: %v %v", c, err)
	}
}

func TestSalesEntries(t *testing.T) {
	at := time.Date(2026, 5, 4, 9, 12, 0, 0, time.UTC)
	s := func(v string) *string { return &v }
	got := salesEntry(salesapi.CustomerEvent{At: &at, Kind: s("stage_changed"), Actor: s("rep-ana"), Summary: s("stage 2 → 3"),
		SubjectType: s("opportunity"), SubjectId: s("7c1e"), SubjectName: s("Crane fleet 2027")})
	want := Entry{At: at, Source: "sales", Department: "sales", Kind: "opportunity", Event: "stage_changed", Actor: "rep-ana",
		Title: "Crane fleet 2027", Summary: "stage 2 → 3", Link: "/opportunities/7c1e"}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if e := salesEntry(salesapi.CustomerEvent{At: &at, SubjectType: s("lead"), SubjectId: s("5f/0c")}); e.Link != "/leads/5f%2F0c" {
		t.Fatalf("lead link %q", e.Link)
	}
}

// An info slip's changes are said in both of the page's languages: its
// kind, each event the customer service records (customer.RecordSlipEvent)
// and the link to the slip.
func TestSlipLabelsInBothLanguages(t *testing.T) {
	keys := []string{"customer360.kind.info_slip", "customer360.link.slips"}
	for _, ev := range []string{"sent", "acknowledged", "done", "rejected", "forwarded", "added", "rerouted", "closed", "withdrawn"} {
		keys = append(keys, "customer360.slip_event."+ev)
	}
	for _, lang := range []string{"en", "zh-Hans"} {
		raw, err := os.ReadFile("locales/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var cat map[string]any
		if err := json.Unmarshal(raw, &cat); err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if s, _ := cat[k].(string); strings.TrimSpace(s) == "" {
				t.Errorf("%s: no %s", lang, k)
			}
		}
	}
	if kind := (&timelineData{}).LinkKind("/slips/5b17"); kind != "slips" {
		t.Fatalf("a slip's link is of kind %q: its text is customer360.link.%s", kind, kind)
	}
}
