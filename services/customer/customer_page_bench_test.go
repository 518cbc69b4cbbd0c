package customer_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/closeloop/closeloop/platform/service"
	"github.com/closeloop/closeloop/platform/service/servicetest"
	"github.com/closeloop/closeloop/platform/testenv"
	"github.com/closeloop/closeloop/services/internal/stacktest"
	"github.com/closeloop/closeloop/services/sales"
)

// BenchmarkCustomerPage measures, on PostgreSQL, the calls the console's
// customer page makes for one customer with 1,000 entries on the customer
// service's timeline (600 actions, each linked to the customer and one of
// its contacts, 300 visits, 100 stage changes) and 300 on its sales
// timeline (20 leads and 10 opportunities with their events), among
// PAGE_BENCH_OTHERS (2,000) other customers with 20 actions and 5 visits
// each and their own leads. The customer, follow-up and sales services run
// in-process, each on its own database; rows are loaded with SQL as the
// services' own writes store them.
//
// A round is the page's calls one after the other, as a manager of the
// customer's team: the customer (with care status), its tree, its stage
// history, the first page of each timeline, its leads and its opportunities,
// plus one deeper timeline page (the 11th, from a cursor). It reports the
// p50/p95/p99 of each call and of the round's sum over PAGE_BENCH_ROUNDS
// (300) rounds: the time to answer the whole page called sequentially, an
// upper bound of its server time (it includes the HTTP round trips).
//
// Run it alone with
//
//	go test ./services/customer -run '^$' -bench BenchmarkCustomerPage -benchtime 1x -v
func BenchmarkCustomerPage(b *testing.B) {
	others := stacktest.EnvInt("PAGE_BENCH_OTHERS", 2_000)
	rounds := stacktest.EnvInt("PAGE_BENCH_ROUNDS", 300)
	for range b.N {
		s := newStack(b, testenv.Postgres(b), stackOpts{})
		gdb := s.app.Deps().DB
		salesSvc := servicetest.Start(b, sales.Spec(), map[string]string{"OIDC_ISSUER_URL": s.issuer.URL(), "DATABASE_URL": testenv.Postgres(b),
			"CUSTOMER_API_URL": s.base, "TEMPORAL_ADDRESS": "127.0.0.1:1", "TEMPORAL_NAMESPACE": "default", "LOG_LEVEL": "warn", "SHUTDOWN_TIMEOUT": "5s"},
			service.Options{})
		sdb := salesSvc.App.Deps().DB

		t0 := time.Now()
		now := time.Now().UTC().Truncate(time.Second)
		id := s.create(mgrMia, company(map[string]any{"lifecycle_stage": "transacting", "owner_id": repAna,
			"contacts": []map[string]any{{"name": "Li Wei", "is_primary": true}, {"name": "Wang Fang"}, {"name": "Zhao Lei"}}}))
		for range 5 {
			s.create(mgrMia, company(map[string]any{"parent_id": id, "owner_id": repAna}))
		}
		setCareTB(b, gdb, id, "A", now.Add(-20*24*time.Hour))
		sweepPage(b, gdb, "A", now)
		var contacts []string
		if err := gdb.Table("contacts").Where("customer_id = ?", id).Pluck("id", &contacts).Error; err != nil {
			b.Fatal(err)
		}
		leads, opps := seedSales(b, sdb, id, 20, 10, 5, 20)
		seedActions(b, gdb, id, contacts, leads, opps, 600, now)
		seedVisits(b, gdb, id, now.Add(-400*24*time.Hour), 300, repAna)
		seedStageChanges(b, gdb, id, 99, now)
		otherIDs := seedOtherCustomers(b, gdb, others, now)
		for i, o := range otherIDs {
			seedActions(b, gdb, o, nil, nil, nil, 20, now.Add(-time.Duration(i)*time.Minute))
			seedSales(b, sdb, o, 1, 0, 5, 0)
		}
		seedOtherVisits(b, gdb, otherIDs, 5, now)
		for _, d := range []*gorm.DB{gdb, sdb} {
			if err := d.Exec("ANALYZE").Error; err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("loaded the customer and %d others in %s", others, time.Since(t0).Round(time.Millisecond))

		// The customer's timeline has its 1,000 entries, the sales one its 300.
		var cursor11 string
		n := 0
		for cur, page := "", 1; ; page++ {
			if page == 11 {
				cursor11 = cur
			}
			r := s.call("GET", "/v1/customers/"+id+"/timeline?limit=50&cursor="+url.QueryEscape(cur), mgrMia, nil)
			if r.status != 200 {
				b.Fatalf("timeline: %d %s", r.status, r.body)
			}
			n += len(r.json(b)["items"].([]any))
			if cur, _ = r.json(b)["next_cursor"].(string); cur == "" {
				break
			}
		}
		if n != 1000 {
			b.Fatalf("the customer's timeline holds %d entries, want 1,000", n)
		}
		sales := func(path string) response {
			b.Helper()
			req, _ := http.NewRequest("GET", salesSvc.Base+path, nil)
			req.Header.Set("Authorization", "Bearer "+s.tokens[mgrMia])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				b.Fatal(err)
			}
			return response{status: resp.StatusCode, body: body}
		}
		if r := sales("/v1/timeline?customer_id=" + id + "&limit=200"); r.status != 200 {
			b.Fatalf("sales timeline: %d %s", r.status, r.body)
		} else if got := len(r.json(b)["items"].([]any)); got != 200 {
			b.Fatalf("the sales timeline's first 200: %d", got)
		}

		calls := []struct {
			name string
			do   func() response
		}{
			{"customer (with care)", func() response { return s.call("GET", "/v1/customers/"+id, mgrMia, nil) }},
			{"tree", func() response { return s.call("GET", "/v1/customers/"+id+"/tree?depth=2", mgrMia, nil) }},
			{"stage history", func() response { return s.call("GET", "/v1/customers/"+id+"/stage-history?limit=50", mgrMia, nil) }},
			{"timeline, first page", func() response { return s.call("GET", "/v1/customers/"+id+"/timeline?limit=50", mgrMia, nil) }},
			{"sales timeline, first page", func() response { return sales("/v1/timeline?customer_id=" + id + "&limit=50") }},
			{"leads", func() response { return sales("/v1/leads?customer_id=" + id + "&limit=50") }},
			{"opportunities", func() response { return sales("/v1/opportunities?customer_id=" + id + "&limit=50") }},
		}
		deep := func() response {
			return s.call("GET", "/v1/customers/"+id+"/timeline?limit=50&cursor="+url.QueryEscape(cursor11), mgrMia, nil)
		}
		lat := make([][]time.Duration, len(calls)+1)
		total := make([]time.Duration, rounds)
		for r := range rounds {
			for i, c := range calls {
				t := time.Now()
				res := c.do()
				d := time.Since(t)
				if res.status != 200 {
					b.Fatalf("%s: %d %s", c.name, res.status, res.body)
				}
				lat[i] = append(lat[i], d)
				total[r] += d
			}
			t := time.Now()
			if res := deep(); res.status != 200 {
				b.Fatalf("deep page: %d %s", res.status, res.body)
			}
			lat[len(calls)] = append(lat[len(calls)], time.Since(t))
		}
		for i, l := range lat {
			name := "timeline, 11th page"
			if i < len(calls) {
				name = calls[i].name
			}
			slices.Sort(l)
			b.Logf("%-28s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms", name, ms(percentile(l, 0.50)), ms(percentile(l, 0.95)), ms(percentile(l, 0.99)))
		}
		slices.Sort(total)
		b.Logf("%-28s p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms (%d rounds)", "whole page, sequential", ms(percentile(total, 0.50)),
			ms(percentile(total, 0.95)), ms(percentile(total, 0.99)), rounds)
		b.ReportMetric(ms(percentile(total, 0.95)), "page_p95_ms")
		b.ReportMetric(ms(percentile(lat[3], 0.95)), "timeline_p95_ms")
	}
}

// seedActions stores n logged calls with the customer, newest an hour
// before `latest` and an hour apart, each linked to the customer and (when
// given) one of its contacts, every fifth to one of its leads or
// opportunities, as the actions context stores them.
func seedActions(b testing.TB, gdb *gorm.DB, customerID string, contacts, leads, opps []string, n int, latest time.Time) {
	b.Helper()
	actions := make([]map[string]any, 0, n)
	links := make([]map[string]any, 0, 2*n)
	for i := range n {
		id := uuid.Must(uuid.NewV7()).String()
		at := latest.Add(-time.Duration(i+1) * time.Hour).UTC()
		dept := []string{"sales", "service", "marketing"}[i%3]
		actions = append(actions, map[string]any{"id": id, "kind": "log", "status": "done", "category": "phone_call", "department": dept,
			"actor_id": repAna, "title": fmt.Sprintf("Call %d", i), "summary": "talked about the next order", "outcome": "", "next_step": "",
			"done_at": at, "occurred_at": at, "created_at": at, "updated_at": at})
		link := func(typ, subject string) {
			links = append(links, map[string]any{"action_id": id, "subject_type": typ, "subject_id": subject, "customer_id": customerID, "occurred_at": at})
		}
		link("customer", customerID)
		if len(contacts) > 0 {
			link("contact", contacts[i%len(contacts)])
		}
		switch {
		case i%5 == 0 && len(leads) > 0:
			link("lead", leads[i%len(leads)])
		case i%5 == 1 && len(opps) > 0:
			link("opportunity", opps[i%len(opps)])
		}
	}
	if err := gdb.Table("actions").CreateInBatches(actions, 500).Error; err != nil {
		b.Fatal(err)
	}
	if err := gdb.Table("action_links").CreateInBatches(links, 500).Error; err != nil {
		b.Fatal(err)
	}
}

// seedStageChanges stores n relationship stage changes, a day apart up to now.
func seedStageChanges(b testing.TB, gdb *gorm.DB, customerID string, n int, now time.Time) {
	b.Helper()
	stages := []string{"exploration", "formation", "stability", "decline"}
	rows := make([]map[string]any, 0, n)
	for i := range n {
		rows = append(rows, map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "customer_id": customerID, "kind": "relationship",
			"from_stage": stages[i%4], "to_stage": stages[(i+1)%4], "reason": "review", "actor": mgrMia, "at": now.Add(-time.Duration(n-i) * 24 * time.Hour).UTC()})
	}
	if err := gdb.Table("stage_changes").CreateInBatches(rows, 500).Error; err != nil {
		b.Fatal(err)
	}
}

// seedOtherCustomers stores n customers of both teams and returns their ids.
func seedOtherCustomers(b testing.TB, gdb *gorm.DB, n int, now time.Time) []string {
	b.Helper()
	ids := make([]string, n)
	rows := make([]map[string]any, 0, n)
	for i := range n {
		ids[i] = uuid.Must(uuid.NewV7()).String()
		o := benchOwners[i%len(benchOwners)]
		name := fmt.Sprintf("Page Bench Other %07d", i)
		rows = append(rows, map[string]any{"id": ids[i], "name": name, "normalized_name": strings.ToLower(name), "region": benchRegions[i%len(benchRegions)],
			"industry": benchIndustries[i%len(benchIndustries)], "owner_id": o.owner, "team": o.team, "lifecycle_stage": "transacting",
			"value_class": "B", "created_by": admin, "created_at": now, "updated_at": now, "care_from": now, "version": 1})
	}
	if err := gdb.Table("customers").CreateInBatches(rows, 500).Error; err != nil {
		b.Fatal(err)
	}
	return ids
}

// seedOtherVisits stores n done visits for each customer, a week apart.
func seedOtherVisits(b testing.TB, gdb *gorm.DB, customers []string, n int, now time.Time) {
	b.Helper()
	rows := make([]map[string]any, 0, len(customers)*n)
	for _, c := range customers {
		for i := range n {
			start := now.Add(-time.Duration(i+1) * 7 * 24 * time.Hour).UTC()
			day := start.Format("2006-01-02")
			rows = append(rows, map[string]any{"id": uuid.Must(uuid.NewV7()).String(), "workflow_id": "Visit:" + c + ":" + day, "customer_id": c, "day": day,
				"start_at": start, "end_at": start.Add(time.Hour), "status": "done", "booked_by": repBo, "team": "south", "department": "service",
				"purpose": "maintenance", "created_at": start, "updated_at": start})
		}
	}
	if err := gdb.Table("visits").CreateInBatches(rows, 500).Error; err != nil {
		b.Fatal(err)
	}
}

// seedSales stores, in the sales database, leads and opportunities of a
// customer owned by rep-ana in team north, each lead with leadEvents and
// each opportunity with oppEvents timeline events, as the lead and
// opportunity workflows' activities store them; it returns their ids.
func seedSales(b testing.TB, sdb *gorm.DB, customerID string, nLeads, nOpps, leadEvents, oppEvents int) (leads, opps []string) {
	b.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var leadRows, oppRows, events []map[string]any
	event := func(subjectType, subjectID string, i int, kind string, at time.Time) {
		events = append(events, map[string]any{"id": fmt.Sprintf("%s:%d:%s", subjectID, i, kind), "subject_type": subjectType, "subject_id": subjectID,
			"kind": kind, "actor": repAna, "summary": kind, "data": "{}", "at": at, "recorded_at": at})
	}
	for i := range nLeads {
		id := uuid.Must(uuid.NewV7()).String()
		leads = append(leads, id)
		at := now.Add(-time.Duration(i+1) * 24 * time.Hour)
		leadRows = append(leadRows, map[string]any{"id": id, "source": "web", "customer_id": customerID, "company_name": "Page Bench Co",
			"state": "contacted", "owner_id": repAna, "team": "north", "received_at": at, "created_by": repAna, "created_at": at, "updated_at": at})
		for e := range leadEvents {
			event("lead", id, e, []string{"created", "assigned", "reminder", "first_contact", "contact"}[e%5], at.Add(time.Duration(e)*time.Hour))
		}
	}
	for i := range nOpps {
		id := uuid.Must(uuid.NewV7()).String()
		opps = append(opps, id)
		at := now.Add(-time.Duration(i+1) * 30 * 24 * time.Hour)
		oppRows = append(oppRows, map[string]any{"id": id, "customer_id": customerID, "name": fmt.Sprintf("Deal %d", i), "owner_id": repAna, "team": "north",
			"stage": 2, "max_stage": 2, "status": "open", "stage_entered_at": at, "created_by": repAna, "created_at": at, "updated_at": at})
		for e := range oppEvents {
			event("opportunity", id, e, []string{"created", "stage_changed", "edited", "reminder"}[e%4], at.Add(time.Duration(e)*time.Hour))
		}
	}
	for table, rows := range map[string][]map[string]any{"leads": leadRows, "opportunities": oppRows, "timeline_events": events} {
		if len(rows) > 0 {
			if err := sdb.Table(table).CreateInBatches(rows, 500).Error; err != nil {
				b.Fatal(err)
			}
		}
	}
	return leads, opps
}
