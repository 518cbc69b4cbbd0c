package domain_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/apperr"
	actdomain "github.com/closeloop/closeloop/services/customer/internal/actions/domain"
	"github.com/closeloop/closeloop/services/customer/internal/winback/domain"
)

const customer = "0190a000-0000-7000-8000-0000000000c1"

var t0 = time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)

func TestResponseOf(t *testing.T) {
	for name, tc := range map[string]struct {
		e    domain.Event
		kind string // "": not a response
	}{
		"a call logged":             {domain.Event{Source: domain.SourceAction, Category: "phone_call", Kind: "log"}, "call"},
		"a visit/reception logged":  {domain.Event{Source: domain.SourceAction, Category: "visit_reception", Kind: "log"}, "visit"},
		"a call only planned":       {domain.Event{Source: domain.SourceAction, Category: "phone_call", Kind: "plan"}, ""},
		"a report logged":           {domain.Event{Source: domain.SourceAction, Category: "briefing_report", Kind: "log"}, ""},
		"materials sent":            {domain.Event{Source: domain.SourceAction, Category: "materials_submission", Kind: "log"}, ""},
		"a service case's item":     {domain.Event{Source: domain.SourceAction, Category: "service_case", Kind: "log"}, ""},
		"a campaign's own item":     {domain.Event{Source: domain.SourceAction, Category: "campaign", Kind: "log"}, ""},
		"a visit's log":             {domain.Event{Source: domain.SourceVisit}, "visit"},
		"lost → prospect by a rep":  {domain.Event{Source: domain.SourceStage, From: "lost", To: "prospect", By: "rep-ana"}, "stage"},
		"lost → prospect by itself": {domain.Event{Source: domain.SourceStage, From: "lost", To: "prospect", By: "winback"}, ""},
		"by a workflow":             {domain.Event{Source: domain.SourceStage, From: "lost", To: "prospect", By: "workflow"}, ""},
		"by the system":             {domain.Event{Source: domain.SourceStage, From: "lost", To: "prospect", By: "system:care"}, ""},
		"into lost":                 {domain.Event{Source: domain.SourceStage, From: "service", To: "lost", By: "rep-ana"}, ""},
		"between other stages":      {domain.Event{Source: domain.SourceStage, From: "prospect", To: "transacting", By: "rep-ana"}, ""},
		"an unknown source":         {domain.Event{Source: "opportunity"}, ""},
		"an inbound lead":           {domain.Event{Source: domain.SourceLead, LeadSource: "web", By: "rep-bo"}, "lead"},
		"a lead a rep typed in":     {domain.Event{Source: domain.SourceLead, LeadSource: "campaign", By: "rep-ana"}, "lead"},
		"the win-back's own lead":   {domain.Event{Source: domain.SourceLead, LeadSource: "campaign", By: "winback"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			tc.e.CustomerID, tc.e.Ref, tc.e.At = customer, "ref-1", t0.In(time.FixedZone("CST", 8*3600))
			if tc.e.By == "" {
				tc.e.By = "rep-ana"
			}
			r, ok := domain.ResponseOf(tc.e)
			if ok != (tc.kind != "") || r.Kind != tc.kind {
				t.Fatalf("response %+v %v, want kind %q", r, ok, tc.kind)
			}
			if ok && (r.Ref != "ref-1" || r.By != tc.e.By || !r.At.Equal(t0) || r.At.Location() != time.UTC) {
				t.Fatalf("response %+v", r)
			}
		})
	}
}

// TestContactCategoriesAreTheActionsContacts: what answers a win-back is
// what the actions context calls a contact — the categories that restart
// care and close follow-ups — and nothing else.
func TestContactCategoriesAreTheActionsContacts(t *testing.T) {
	var contacts []string
	for _, c := range append(slices.Clone(actdomain.Categories), actdomain.CategoryServiceCase, actdomain.CategoryInfoSlip, actdomain.CategoryCampaign) {
		if actdomain.IsContact(c) {
			contacts = append(contacts, c)
		}
	}
	slices.Sort(contacts)
	if got := domain.ContactCategories(); !reflect.DeepEqual(got, contacts) {
		t.Fatalf("win-back contact categories %v, the actions' %v", got, contacts)
	}
}

func TestFirstResponse(t *testing.T) {
	call := func(ref string, at time.Time) domain.Event {
		return domain.Event{Source: domain.SourceAction, Category: "phone_call", Kind: "log", Ref: ref, By: "rep-ana", At: at}
	}
	visit := func(ref string, at time.Time) domain.Event {
		return domain.Event{Source: domain.SourceVisit, Ref: ref, By: "rep-bo", At: at}
	}
	own := domain.Event{Source: domain.SourceStage, From: "lost", To: "prospect", By: "winback", Ref: "s0", At: t0.Add(time.Minute)}
	person := domain.Event{Source: domain.SourceStage, From: "lost", To: "prospect", By: "mgr-mia", Ref: "s1", At: t0.Add(3 * time.Hour)}
	for name, tc := range map[string]struct {
		events []domain.Event
		since  time.Time
		want   domain.Response // zero: none
	}{
		"none":                         {nil, t0, domain.Response{}},
		"the earliest of every source": {[]domain.Event{person, visit("v1", t0.Add(2*time.Hour)), call("a1", t0.Add(time.Hour))}, t0, domain.Response{Kind: "call", Ref: "a1", By: "rep-ana", At: t0.Add(time.Hour)}},
		"since is exclusive":           {[]domain.Event{call("a1", t0), visit("v1", t0.Add(time.Microsecond))}, t0, domain.Response{Kind: "visit", Ref: "v1", By: "rep-bo", At: t0.Add(time.Microsecond)}},
		"before since is no response":  {[]domain.Event{call("a1", t0.Add(-time.Hour))}, t0, domain.Response{}},
		"the win-back's own change is skipped": {[]domain.Event{own, person}, t0,
			domain.Response{Kind: "stage", Ref: "s1", By: "mgr-mia", At: t0.Add(3 * time.Hour)}},
		"one instant: call before visit before stage": {[]domain.Event{
			{Source: domain.SourceStage, From: "lost", To: "prospect", By: "rep-ana", Ref: "s9", At: t0.Add(time.Hour)},
			visit("v9", t0.Add(time.Hour)), call("a9", t0.Add(time.Hour)), call("a8", t0.Add(time.Hour))}, t0,
			domain.Response{Kind: "call", Ref: "a8", By: "rep-ana", At: t0.Add(time.Hour)}},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := domain.FirstResponse(tc.events, tc.since)
			if ok != (tc.want != domain.Response{}) || got != tc.want {
				t.Fatalf("first response %+v %v, want %+v", got, ok, tc.want)
			}
		})
	}
}

func TestWindowSince(t *testing.T) {
	w := domain.WindowSince(customer, t0.In(time.FixedZone("CST", 8*3600)))
	if w.CustomerID != customer || !w.Since.Equal(t0) || w.Since.Location() != time.UTC || w.ActionKind != "log" ||
		!reflect.DeepEqual(w.Categories, []string{"phone_call", "visit_reception"}) || w.FromStage != "lost" || w.Limit < 2 {
		t.Fatalf("window %+v", w)
	}
}

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("not an apperr: %v", err)
	}
	var out []string
	for _, f := range ae.Fields {
		out = append(out, f.Field+":"+f.Code)
	}
	return out
}

func TestMark(t *testing.T) {
	for name, tc := range map[string]struct {
		m             domain.Mark
		current, want string
	}{
		"set":                            {domain.Mark{CampaignID: "camp-1"}, "", "camp-1"},
		"set again":                      {domain.Mark{CampaignID: "camp-1"}, "camp-1", "camp-1"},
		"a newer campaign takes it over": {domain.Mark{CampaignID: "camp-2"}, "camp-1", "camp-2"},
		"clear its own":                  {domain.Mark{ClearCampaignID: "camp-1"}, "camp-1", ""},
		"clear again":                    {domain.Mark{ClearCampaignID: "camp-1"}, "", ""},
		"leave another's":                {domain.Mark{ClearCampaignID: "camp-1"}, "camp-2", "camp-2"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.m.CustomerID = customer
			if err := tc.m.Check(); err != nil {
				t.Fatal(err)
			}
			if got := tc.m.Apply(tc.current); got != tc.want {
				t.Fatalf("mark %q, want %q", got, tc.want)
			}
		})
	}
	for name, tc := range map[string]struct {
		m    domain.Mark
		want []string
	}{
		"no campaign":      {domain.Mark{CustomerID: customer}, []string{"campaign_id:required"}},
		"a malformed id":   {domain.Mark{CustomerID: "c1", CampaignID: "camp-1"}, []string{"customer_id:invalid"}},
		"an over-long one": {domain.Mark{CustomerID: customer, ClearCampaignID: strings.Repeat("x", 101)}, []string{"clear_campaign_id:invalid"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := fieldsOf(t, tc.m.Check()); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("fields %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReturned(t *testing.T) {
	r := domain.Return{CampaignID: "camp-1", CustomerID: customer, Outcome: "responded", LeadID: "lead-9",
		Response: domain.Response{Kind: "call", Ref: "a1", By: "rep-ana", At: t0}}
	if err := r.Check(); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Hour)
	returned := func(c domain.Customer, r domain.Return) domain.Change {
		t.Helper()
		ch, err := domain.Returned(c, r, at)
		if err != nil {
			t.Fatal(err)
		}
		return ch
	}
	ch := returned(domain.Customer{Stage: "lost", Mark: "camp-1"}, r)
	if ch.Mark != "" || ch.To != "prospect" || ch.Reason != "win-back: responded (call)" || ch.Actor != "winback" || !ch.At.Equal(at) ||
		ch.Lost.At != nil || ch.Item == nil {
		t.Fatalf("still lost: %+v", ch)
	}
	item := *ch.Item
	if item.ID != actdomain.CampaignEventID("winback-returned\x00camp-1\x00"+customer) || item.Category != "campaign" || item.Department != "marketing" ||
		item.Kind != "log" || item.ActorID != "winback" || item.CampaignID != "camp-1" || !item.OccurredAt.Equal(at) ||
		item.Title != "Back on the prospect list: responded to the win-back (call)" || item.Changeable() == nil ||
		item.Summary != "Back on the prospect list: the customer responded to win-back campaign camp-1 (call by rep-ana at 2026-04-01T09:00:00Z); lead lead-9 is with sales." {
		t.Fatalf("history item: %+v", item)
	}
	if again := returned(domain.Customer{Stage: "prospect", Mark: ch.Mark}, r); again != (domain.Change{}) {
		t.Fatalf("returned twice: %+v", again)
	}
	if ch := returned(domain.Customer{Stage: "prospect", Mark: "camp-1"}, r); ch != (domain.Change{}) {
		t.Fatalf("a person moved it already: only the mark clears, %+v", ch)
	}
	if ch := returned(domain.Customer{Stage: "lost", Mark: "camp-2"}, r); ch.Mark != "camp-2" || ch.To != "prospect" {
		t.Fatalf("another campaign's mark stays: %+v", ch)
	}
	if ch := returned(domain.Customer{Stage: "lost", Deleted: true, Mark: "camp-1"}, r); ch != (domain.Change{}) {
		t.Fatalf("a deleted customer is left as it is: %+v", ch)
	}
	unsaid := domain.Return{CampaignID: "camp-1", CustomerID: customer}
	if ch := returned(domain.Customer{Stage: "lost"}, unsaid); ch.Reason != "win-back: responded" || ch.Item.Title != "Back on the prospect list: responded to the win-back" ||
		ch.Item.Summary != "Back on the prospect list: the customer responded to win-back campaign camp-1." {
		t.Fatalf("no response said: %+v %+v", ch, ch.Item)
	}
	for name, tc := range map[string]struct {
		r    domain.Return
		want []string
	}{
		"no campaign":     {domain.Return{CustomerID: customer}, []string{"campaign_id:required"}},
		"not a response":  {domain.Return{CustomerID: customer, CampaignID: "camp-1", Outcome: "exhausted"}, []string{"outcome:invalid"}},
		"a two-line kind": {domain.Return{CustomerID: customer, CampaignID: "camp-1", Response: domain.Response{Kind: "call\nme"}}, []string{"response.kind:invalid"}},
	} {
		t.Run(name, func(t *testing.T) {
			if got := fieldsOf(t, tc.r.Check()); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("fields %v, want %v", got, tc.want)
			}
		})
	}
}
