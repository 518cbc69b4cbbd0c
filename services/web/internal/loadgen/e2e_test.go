package loadgen_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/web/internal/loadgen"
	"github.com/closeloop/closeloop/services/web/webtest"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TestRunAgainstStack runs the generator for three seconds against the real
// stack in-process (customer, follow-up, sales services on each database, the
// workflow worker on Temporal), then checks on the services that it did
// what the report says: visits booked on distinct customer-days, the calls
// logged, the policy edits withdrawn and the policy unchanged; a second run
// with the same tag finds the run's customers again instead of creating more.
func TestRunAgainstStack(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end (about 35 s; make test runs it, -short skips it)")
	}
	t.Run("postgres", func(t *testing.T) { runAgainstStack(t, webtest.New(t, webtest.Opts{})) })
	t.Run("sqlite", func(t *testing.T) { runAgainstStack(t, webtest.New(t, webtest.Opts{SQLite: true})) })
}

func runAgainstStack(t *testing.T, s *webtest.Stack) {
	const policy = "visit.reminder_before"
	before := s.Call("GET", "/v1/policies/"+policy, "analyst-ali", nil)
	if before.Status != 200 {
		t.Fatalf("policy: %d %s", before.Status, before.Body)
	}
	activeVersion := func(r stacktest.Response) any {
		a, _ := r.JSON(t)["active"].(map[string]any)
		return a["version"]
	}
	tag := "lg-e2e-" + time.Now().UTC().Format("150405")
	cfg := loadgen.Config{
		URLs:   loadgen.URLs{Customer: s.Base, Sales: s.SalesBase, FollowUp: s.FollowUpBase},
		Tokens: loadgen.Tokens{Rep: s.Tokens["rep-ana"], Manager: s.Tokens["mgr-mia"], Analyst: s.Tokens["analyst-ali"]},
		Rate:   20, Duration: 3 * time.Second, Concurrency: 32, Timeout: 30 * time.Second,
		Mix:       loadgen.Mix{loadgen.ActLead: 2, loadgen.ActContact: 3, loadgen.ActVisit: 3, loadgen.ActPolicy: 1, loadgen.ActList: 3},
		Customers: 4, Tag: tag, Region: "north", Industry: "steel", Policy: policy, VisitAfterDays: 7, MaxErrorRate: 0,
	}
	r, err := loadgen.Run(context.Background(), cfg, func(m string) { t.Log(m) })
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = r.WriteText(&text)
	t.Logf("report:\n%s", text.String())
	if !r.Pass || r.Total.Errors != 0 || r.NotSent != 0 || r.Sent != 60 {
		t.Fatalf("the run had errors or unsent requests")
	}
	rows := map[string]loadgen.ActionReport{}
	for _, a := range r.Actions {
		rows[a.Name] = a
	}
	// 60 requests in the mix's proportions (2:3:3:1:3 of 12).
	for name, want := range map[string]int{"lead": 10, "contact": 15, "visit": 15, "list.customers": 5, "list.leads": 5, "list.overdue": 5} {
		if got := rows[name]; got.Count != want || got.OK != want {
			t.Errorf("%s: %d requests, %d ok; want %d ok", name, got.Count, got.OK, want)
		}
	}
	// Policy edits of one policy at once may meet a concurrent change (409
	// concurrent_change, a business outcome); every edit made is withdrawn.
	pol, wd := rows["policy"], rows["policy.withdraw"]
	if pol.Count != 5 || pol.OK == 0 || pol.OK+pol.Business != 5 || wd.Count != pol.OK || wd.OK != pol.OK {
		t.Errorf("policy: %+v; withdraw: %+v", pol, wd)
	}
	for k := range pol.Outcomes {
		if k != "201" && k != "409 concurrent_change" {
			t.Errorf("policy answered %s", k)
		}
	}
	if n := rows["visit"].Outcomes["201 booked"]; n != 15 {
		t.Errorf("visits booked: %d, want 15 (distinct customer-days): %v", n, rows["visit"].Outcomes)
	}

	// On the services: the run's customers, each with its visits on
	// distinct days and its logged calls.
	list := s.Call("GET", "/v1/customers?limit=50&q="+url.QueryEscape("LG "+tag), "rep-ana", nil)
	items, _ := list.JSON(t)["items"].([]any)
	if len(items) != 4 {
		t.Fatalf("customers of the run: %d, want 4: %s", len(items), list.Body)
	}
	visits, calls := 0, 0
	for _, it := range items {
		id := it.(map[string]any)["id"].(string)
		days := map[string]bool{}
		vs, _ := s.Call("GET", "/v1/customers/"+id+"/visits", "rep-ana", nil).JSON(t)["items"].([]any)
		for _, v := range vs {
			day := v.(map[string]any)["day"].(string)
			if days[day] {
				t.Errorf("customer %s has two visits on %s", id, day)
			}
			days[day] = true
			visits++
		}
		hs, _ := s.Call("GET", "/v1/customers/"+id+"/history?limit=50", "rep-ana", nil).JSON(t)["items"].([]any)
		for _, h := range hs {
			if h.(map[string]any)["category"] == "phone_call" {
				calls++
			}
		}
	}
	if visits != 15 || calls != 15 {
		t.Errorf("on the services: %d visits and %d logged calls, want 15 and 15", visits, calls)
	}

	// The policy: nothing of the run left scheduled, the version in force
	// the same.
	after := s.Call("GET", "/v1/policies/"+policy, "analyst-ali", nil)
	if sch, _ := after.JSON(t)["scheduled"].([]any); len(sch) != 0 {
		t.Errorf("versions left scheduled: %v", sch)
	}
	if a, b := activeVersion(before), activeVersion(after); a != b {
		t.Errorf("the version in force changed from %v to %v", a, b)
	}

	// Again with the same tag: the same four customers.
	cfg.Duration, cfg.Rate, cfg.Mix = time.Second, 4, loadgen.Mix{loadgen.ActContact: 1}
	if r, err = loadgen.Run(context.Background(), cfg, nil); err != nil || r.Total.Errors != 0 {
		t.Fatalf("second run: %v, %d errors", err, r.Total.Errors)
	}
	if items, _ := s.Call("GET", "/v1/customers?limit=50&q="+url.QueryEscape("LG "+tag), "rep-ana", nil).JSON(t)["items"].([]any); len(items) != 4 {
		t.Errorf("after a second run with the same tag: %d customers, want the same 4", len(items))
	}
}
