package customer360

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/closeloop/closeloop/services/web/internal/apis/salesapi"
)

// The customer service's timeline entries, as its API documents them,
// become the page's entries: actions linked to their lead or opportunity,
// visits to their page, stage changes with their stages.
func TestCustomerEntries(t *testing.T) {
	raw := `{"items": [
  {"source": "action", "id": "a1", "at": "2026-05-06T09:00:00Z", "kind": "plan", "actor": "rep-ana", "department": "sales",
   "action": {"status": "planned", "category": "phone_call", "title": "Offer follow-up", "summary": "", "outcome": "",
              "customer_ids": ["c"], "contact_ids": [], "lead_ids": [], "opportunity_ids": ["7c1e"]}},
  {"source": "visit", "id": "v1", "at": "2026-05-02T02:00:00Z", "kind": "done", "actor": "rep-ana", "department": "service",
   "visit": {"day": "2026-05-02", "purpose": "quarterly review",
             "participants": [{"user_id": "rep-ana", "department": "service", "role": "booker"}],
             "log": {"summary": "went well", "outcome": "orders more", "next_step": "", "by": "rep-ana", "at": "2026-05-02T04:00:00Z"}}},
  {"source": "visit", "id": "v0", "at": "2026-05-01T02:00:00Z", "kind": "cancelled", "actor": "rep-cy", "department": "marketing",
   "visit": {"day": "2026-05-01", "purpose": "fair invitation", "cancel_reason": "customer on holiday"}},
  {"source": "stage", "id": "s1", "at": "2026-04-30T08:00:00Z", "kind": "lifecycle", "actor": "mgr-mia",
   "stage": {"from": "transacting", "to": "service", "reason": "after-sales"}},
  {"source": "campaign", "id": "x1", "at": "2026-04-29T08:00:00Z", "kind": "touch", "actor": "mkt-mo"}]}`
	var page struct{ Items []customerEntry }
	if err := json.Unmarshal([]byte(raw), &page); err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{At: time.Date(2026, 5, 6, 9, 0, 0, 0, time.UTC), Source: "customer", Department: "sales", Kind: "phone_call", Status: "planned",
			Actor: "rep-ana", Title: "Offer follow-up", Link: "/opportunities/7c1e"},
		{At: time.Date(2026, 5, 2, 2, 0, 0, 0, time.UTC), Source: "customer", Department: "service", Kind: "visit", Status: "done",
			Actor: "rep-ana", Title: "quarterly review", Summary: "went well — orders more", Link: "/visits/v1"},
		{At: time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC), Source: "customer", Department: "marketing", Kind: "visit", Status: "cancelled",
			Actor: "rep-cy", Title: "fair invitation", Summary: "customer on holiday", Link: "/visits/v0"},
		{At: time.Date(2026, 4, 30, 8, 0, 0, 0, time.UTC), Source: "customer", Kind: "stage_lifecycle", StageFrom: "transacting",
			StageTo: "service", Actor: "mgr-mia", Summary: "after-sales"},
		{At: time.Date(2026, 4, 29, 8, 0, 0, 0, time.UTC), Source: "customer", Kind: "campaign", Actor: "mkt-mo"},
	}
	if len(page.Items) != len(want) {
		t.Fatalf("%d items", len(page.Items))
	}
	for i, ce := range page.Items {
		if got := ce.entry(); got != want[i] {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got, want[i])
		}
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
